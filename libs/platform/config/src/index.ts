export {
  loadConfig,
  ConfigurationError,
  DEVELOPMENT_ISSUER,
  DEVELOPMENT_AUDIENCE,
  type AppConfig,
  type AuthConfig,
  type DatabaseConfig,
} from './app-config';
export { ConfigModule, APP_CONFIG, InjectConfig } from './config.module';
