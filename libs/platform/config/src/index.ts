export { loadConfig, ConfigurationError, type AppConfig, type DatabaseConfig } from './app-config';
export { ConfigModule, APP_CONFIG, InjectConfig } from './config.module';
