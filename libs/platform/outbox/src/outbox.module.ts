import { hostname } from 'node:os';
import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { DatabaseConnection } from '@platform/database';
import { type EventContract, MessageBroker } from '@platform/messaging';
import { observeOutboxBacklogs } from './outbox-metrics';
import { OutboxRelay } from './outbox-relay';

/**
 * A module's outbox: the schema it lives in, the CloudEvents `source` of its events, and the
 * event types it publishes (their topics are created before anything is relayed).
 */
export class OutboxFeature {
  constructor(
    readonly schema: string,
    readonly source: string,
    readonly events: readonly EventContract[],
  ) {}
}

export const OUTBOX_RELAYS_ENABLED = Symbol('OUTBOX_RELAYS_ENABLED');

/**
 * Runs `OUTBOX_RELAYS` relays over each registered outbox while the application is up, when this process is the
 * one that relays (see PlatformModule). Relays stop before the database closes.
 */
@Injectable()
export class OutboxRelays implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  readonly relays: OutboxRelay[] = [];
  private stopObserving: (() => void) | undefined;
  private readonly stopListening: Array<() => Promise<void>> = [];

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(DatabaseConnection) private readonly database: DatabaseConnection,
    @Inject(MessageBroker) private readonly broker: MessageBroker,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OUTBOX_RELAYS_ENABLED) private readonly enabled: boolean,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const features = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is OutboxFeature => instance instanceof OutboxFeature);
    if (!this.enabled || features.length === 0) {
      return;
    }
    await this.broker.ensureTopics(features.flatMap((feature) => feature.events.map((event) => event.type)));
    const { outbox } = this.config;
    for (const feature of features) {
      const relays = Array.from({ length: outbox.relays }, (_, n) => this.relay(feature, n + 1));
      // One LISTEN (one connection) per outbox, whatever the number of its relays. A NOTIFY wakes one
      // idle relay (the others would find the batch taken); when all are busy, each looks again next.
      const wakeOne = () => {
        const idle = relays.find((relay) => relay.idle);
        if (idle) idle.wake();
        else relays.forEach((relay) => relay.wake());
      };
      this.stopListening.push(await this.database.listen(OutboxRelay.channel(feature.schema), wakeOne));
      for (const relay of relays) {
        await relay.start({ listen: false });
        this.relays.push(relay);
      }
    }
    this.stopObserving = observeOutboxBacklogs(
      this.database,
      features.map((feature) => feature.schema),
    );
    this.logger.log(
      `Relaying ${features.map((feature) => `${feature.schema}.outbox`).join(', ')} to ${this.broker.name} (${outbox.relays} relay(s) each)`,
    );
  }

  private relay(feature: OutboxFeature, n: number): OutboxRelay {
    const { outbox } = this.config;
    return new OutboxRelay(
      this.database,
      this.broker,
      {
        schema: feature.schema,
        relayId: `${hostname()}:${process.pid}:${feature.schema}:${n}`,
        batchSize: outbox.batchSize,
        leaseMs: outbox.leaseMs,
        maxAttempts: outbox.maxAttempts,
        backoffBaseMs: 100,
        backoffCapMs: 60_000,
        pollIntervalMs: outbox.pollIntervalMs,
        retentionMs: outbox.retentionMs,
        purgeIntervalMs: 3_600_000,
      },
      this.logger,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopObserving?.();
    await Promise.all(this.relays.map((relay) => relay.stop()));
    await Promise.all(this.stopListening.splice(0).map((stop) => stop()));
  }
}

@Module({})
export class OutboxModule {
  /** In the platform module: decides once whether this process relays. */
  static forRoot(relaysEnabled: boolean): DynamicModule {
    return {
      module: OutboxModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [{ provide: OUTBOX_RELAYS_ENABLED, useValue: relaysEnabled }, OutboxRelays],
      exports: [OutboxRelays],
    };
  }

  /** In a publishing module: its outbox table is `<schema>.outbox`, created by its migrations. */
  static forFeature(options: { schema: string; source: string; events: readonly EventContract[] }): DynamicModule {
    return {
      module: OutboxModule,
      providers: [
        { provide: OutboxFeature, useValue: new OutboxFeature(options.schema, options.source, options.events) },
      ],
      exports: [OutboxFeature],
    };
  }
}
