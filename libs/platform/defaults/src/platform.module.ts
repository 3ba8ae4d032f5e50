import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { CacheModule } from '@platform/cache';
import { type AppConfig, ConfigModule } from '@platform/config';
import { DatabaseModule } from '@platform/database';
import { HealthModule } from '@platform/health';
import { ProblemDetailsFilter } from '@platform/http';
import { InboxModule } from '@platform/inbox';
import { LoggingModule } from '@platform/logging';
import { ObservabilityModule } from '@platform/observability';
import { MessagingModule } from '@platform/messaging';
import { OutboxModule } from '@platform/outbox';
import { ResilienceModule } from '@platform/resilience';
import { ClsModule } from 'nestjs-cls';
import { BackgroundWork } from './background-work';

/** What a deployable is for: serving HTTP, or the background work (relays, consumers, timers). */
export type ProcessRole = 'api' | 'worker';

/**
 * Where the asynchronous work runs (BACKGROUND_WORK_IN). With Kafka, in the worker by default: api
 * instances only record events. With the in-process broker messages cannot leave the process that
 * relays them, so one process does all of it: the api by default (embedded, or one api over
 * PostgreSQL), or the worker, while the api instances only record events in the outboxes.
 */
export function runsMessaging(role: ProcessRole, config: AppConfig): boolean {
  return role === config.backgroundWorkIn;
}

/**
 * Service defaults: the one module every deployable imports once. It brings configuration,
 * structured logging, the circuit breakers, the two-level cache, the database, the message broker,
 * outbox relays and inbox consumers, health checks, the CQRS buses and the problem+json error
 * format, so that no bounded context wires any of them.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, role: ProcessRole): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        // Async context for the modules' transactions (each module registers its own plugin).
        ClsModule.forRoot({ global: true }),
        LoggingModule,
        ResilienceModule,
        // After ResilienceModule: its Redis calls go through the `redis` breaker.
        CacheModule,
        DatabaseModule,
        MessagingModule,
        // Consumers start before relays (Nest bootstraps global modules in import order): the
        // in-process broker resolves a publish once the groups consuming its topic have handled it,
        // and a group that has not joined yet would not be waited for.
        InboxModule.forRoot(runsMessaging(role, config), config.inboxMaxBatchSize),
        OutboxModule.forRoot(runsMessaging(role, config)),
        HealthModule,
        ObservabilityModule,
        CqrsModule.forRoot(),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: BackgroundWork, useValue: new BackgroundWork(runsMessaging(role, config)) },
      ],
      exports: [BackgroundWork],
      global: true,
    };
  }
}
