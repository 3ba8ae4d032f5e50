import { type DynamicModule, Global, Inject, Module } from '@nestjs/common';
import type { AppConfig } from './app-config';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Injects the validated AppConfig. */
export const InjectConfig = (): ParameterDecorator => Inject(APP_CONFIG);

/**
 * Makes the configuration validated at startup (see loadConfig) available to every module.
 * It takes the already-loaded value so that a bad environment fails before Nest starts.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
