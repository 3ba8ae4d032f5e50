import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  type FactoryProvider,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { getTransactionHostToken } from '@nestjs-cls/transactional';
import { activeTransactionSql, DatabaseConnection } from '@platform/database';
import { type EventContract, type EventData, type IntegrationEvent, MessageBroker } from '@platform/messaging';
import { observeInboxDeadLetters } from './inbox-metrics';
import {
  InboxConsumer,
  type InboxConsumerDefinition,
  type InboxDelivery,
  type InboxTransactionOwner,
  type RunInTransaction,
  type RunStatement,
} from './inbox-consumer';

/**
 * A module's handler of one event type. Its effects go through the module's repositories, which
 * use the transaction in async context. By default (`transactionOwner: 'inbox'`) the inbox opens
 * that transaction, records the message in it, and calls `handle` inside it, so effects and inbox
 * record commit together. With `transactionOwner: 'handler'`, `handle` runs with no transaction
 * open and opens its own units of work; the message is recorded after it resolved, so `handle`
 * must be idempotent on a business key (see InboxTransactionOwner).
 */
export interface InboxHandler<Contract extends EventContract = EventContract> {
  readonly consumer: {
    name: string;
    contract: Contract;
    maxAttempts?: number;
    transactionOwner?: InboxTransactionOwner;
  };
  handle(event: IntegrationEvent<EventData<Contract>>): Promise<void>;
  /**
   * For an inbox-owned consumer, optional: applies the new messages of a batch at once, with the
   * effects of `handle` on each in turn, in fewer statements (see InboxConsumerDefinition).
   */
  handleBatch?(deliveries: readonly InboxDelivery<EventData<Contract>>[]): Promise<void>;
}

/** The consumers of one module, bound to its schema and its transactions. */
export class InboxFeature {
  constructor(
    readonly schema: string,
    readonly consumers: ReadonlyArray<{
      definition: InboxConsumerDefinition;
      runInTransaction: RunInTransaction;
      /** Single statements outside any transaction: a handler-owned consumer's check and record. */
      runStatement?: RunStatement;
    }>,
  ) {}
}

const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * The provider a consuming module adds next to its handlers:
 * `inboxConsumers({ schema: 'inventory', transactions: 'inventory', handlers: [ReserveStock] })`,
 * where `transactions` is the connection name of the module's prismaTransactions plugin.
 */
export function inboxConsumers(options: {
  schema: string;
  transactions: string;
  handlers: ReadonlyArray<abstract new (...args: never[]) => InboxHandler>;
}): FactoryProvider<InboxFeature> {
  return {
    provide: InboxFeature,
    inject: [getTransactionHostToken(options.transactions), DatabaseConnection, ...options.handlers],
    useFactory: (
      host: { withTransaction<T>(work: () => Promise<T>): Promise<T>; isTransactionActive(): boolean; tx: unknown },
      connection: DatabaseConnection,
      ...handlers: InboxHandler[]
    ) => {
      const runInTransaction: RunInTransaction = (work) =>
        host.withTransaction(() => work(activeTransactionSql(host)!));
      // The inbox tables are the lib's, read with plain SQL: a lone statement goes straight to the
      // shared connection (the pool, or PGlite, which queues it behind any open transaction), not
      // through a Prisma transaction of its own.
      const runStatement: RunStatement = {
        query: (sql, params) => connection.withSession((session) => session.query(sql, params)),
      };
      return new InboxFeature(
        options.schema,
        handlers.map((handler) => ({
          runInTransaction,
          runStatement,
          definition: definitionOf(handler, options.schema),
        })),
      );
    },
  };
}

/**
 * The consumer definition of a handler. `handle` takes no transaction in either mode: the
 * handler's repositories find the inbox's transaction, when there is one, in async context.
 */
function definitionOf(handler: InboxHandler, schema: string): InboxConsumerDefinition {
  const { name, contract, maxAttempts = DEFAULT_MAX_ATTEMPTS, transactionOwner = 'inbox' } = handler.consumer;
  const handle = (event: IntegrationEvent<EventData<EventContract>>) => handler.handle(event);
  if (transactionOwner === 'handler') {
    return { name, schema, contract, maxAttempts, transactionOwner, handle };
  }
  const handleBatch = handler.handleBatch?.bind(handler);
  return { name, schema, contract, maxAttempts, transactionOwner, handle, ...(handleBatch ? { handleBatch } : {}) };
}

export const INBOX_CONSUMERS_ENABLED = Symbol('INBOX_CONSUMERS_ENABLED');
export const INBOX_MAX_BATCH_SIZE = Symbol('INBOX_MAX_BATCH_SIZE');

/** Starts every module's consumers where messaging runs (see PlatformModule); stops them first on shutdown. */
@Injectable()
export class InboxConsumers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Inbox');
  readonly consumers: InboxConsumer[] = [];
  private stopObserving: (() => void) | undefined;

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MessageBroker) private readonly broker: MessageBroker,
    @Inject(DatabaseConnection) private readonly database: DatabaseConnection,
    @Inject(INBOX_CONSUMERS_ENABLED) private readonly enabled: boolean,
    @Inject(INBOX_MAX_BATCH_SIZE) private readonly maxBatchSize: number,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) {
      return;
    }
    const features = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is InboxFeature => instance instanceof InboxFeature);
    for (const { consumers } of features) {
      for (const { definition, runInTransaction, runStatement } of consumers) {
        const consumer = new InboxConsumer(
          this.broker,
          definition,
          runInTransaction,
          this.logger,
          definition.name,
          runStatement,
          this.maxBatchSize,
        );
        await consumer.start();
        this.consumers.push(consumer);
        this.logger.log(`Consuming ${definition.contract.type} as ${definition.name}`);
      }
    }
    this.stopObserving = observeInboxDeadLetters(this.database, [
      ...new Set(features.map((feature) => feature.schema)),
    ]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopObserving?.();
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }
}

@Module({})
export class InboxModule {
  /** In the platform module: decides once whether this process consumes, and how many messages a transaction applies at most. */
  static forRoot(consumersEnabled: boolean, maxBatchSize: number): DynamicModule {
    return {
      module: InboxModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: INBOX_CONSUMERS_ENABLED, useValue: consumersEnabled },
        { provide: INBOX_MAX_BATCH_SIZE, useValue: maxBatchSize },
        InboxConsumers,
      ],
      exports: [InboxConsumers],
    };
  }
}
