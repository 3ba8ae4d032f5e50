import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { type AppConfig, ConfigModule } from '@platform/config';
import { DatabaseModule } from '@platform/database';
import { HealthModule } from '@platform/health';
import { ProblemDetailsFilter } from '@platform/http';
import { LoggingModule } from '@platform/logging';

/**
 * Service defaults: the one module every deployable imports once. It brings configuration,
 * structured logging, the database, health checks, the CQRS buses and the problem+json error
 * format, so that no bounded context wires any of them itself.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: PlatformModule,
      imports: [ConfigModule.forRoot(config), LoggingModule, DatabaseModule, HealthModule, CqrsModule.forRoot()],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
