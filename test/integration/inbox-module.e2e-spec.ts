import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectTransactionHost, type TransactionHost } from '@nestjs-cls/transactional';
import { loadConfig } from '@platform/config';
import { DatabaseConnection, prismaTransactions, providePrismaClient } from '@platform/database';
import { PlatformModule } from '@platform/defaults';
import {
  type InboxHandler,
  inboxConsumers,
  InboxConsumers,
  InboxFeature,
  listInboxDeadLetters,
  replayInboxDeadLetters,
} from '@platform/inbox';
import { createEvent, defineEvent, type IntegrationEvent, MessageBroker, toBrokerMessage } from '@platform/messaging';
import { ClsModule } from 'nestjs-cls';
import { z } from 'zod';
import { PrismaClient } from '../../libs/ordering/src/infrastructure/persistence/generated/client';
import { createTestDatabase, queryDatabase, type TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const Shipped = defineEvent('ordering.parcel-shipped.v1', z.object({ parcel: z.string(), failFirst: z.boolean() }));

/**
 * A consuming module as a bounded context would write one: its own migrations, client (as its role,
 * nest_modulith_shipping), transactions and handler.
 */
@Module({
  providers: [providePrismaClient(PrismaClient, (options) => new PrismaClient(options), { schema: 'shipping' })],
  exports: [PrismaClient],
})
class ShippingPrismaModule {}

const attempts = new Map<string, number>();

@Injectable()
class PrintLabel implements InboxHandler<typeof Shipped> {
  readonly consumer = { name: 'shipping.print-label', contract: Shipped, maxAttempts: 5 };

  constructor(@InjectTransactionHost('shipping') private readonly host: TransactionHost) {}

  async handle(event: IntegrationEvent<z.output<typeof Shipped.schema>>): Promise<void> {
    const tx = this.host.tx as PrismaClient;
    await tx.$executeRawUnsafe('INSERT INTO shipping.labels (parcel) VALUES ($1)', event.data.parcel);
    const attempt = (attempts.get(event.id) ?? 0) + 1;
    attempts.set(event.id, attempt);
    if (event.data.failFirst && attempt === 1) {
      throw new Error('printer jammed, after the label row was written');
    }
  }
}

const Delivered = defineEvent('ordering.parcel-delivered.v1', z.object({ parcel: z.string(), failures: z.int() }));

/** What NotifyCustomer saw each time it ran, per parcel. */
const notifierRuns = new Map<string, { transactionActive: boolean; openTransactions: number }[]>();
let databaseUrl = '';

/**
 * A handler that owns its transactions, as one calling another system between two units of work
 * would: it runs with none open, writes in a unit of work of its own, and is idempotent on the
 * parcel (its business key). It fails its first `failures` runs, after its write.
 */
@Injectable()
class NotifyCustomer implements InboxHandler<typeof Delivered> {
  readonly consumer = {
    name: 'shipping.notify-customer',
    contract: Delivered,
    maxAttempts: 3,
    transactionOwner: 'handler' as const,
  };

  constructor(@InjectTransactionHost('shipping') private readonly host: TransactionHost) {}

  async handle(event: IntegrationEvent<z.output<typeof Delivered.schema>>): Promise<void> {
    const { parcel, failures } = event.data;
    const runs = notifierRuns.get(parcel) ?? [];
    notifierRuns.set(parcel, runs);
    runs.push({ transactionActive: this.host.isTransactionActive(), openTransactions: await openTransactions() });
    await this.host.withTransaction(() =>
      (this.host.tx as PrismaClient).$executeRawUnsafe(
        'INSERT INTO shipping.notifications (parcel) VALUES ($1) ON CONFLICT DO NOTHING',
        parcel,
      ),
    );
    if (runs.length <= failures) {
      throw new Error('mail server unavailable, after the notification row was written');
    }
  }
}

/**
 * Transactions open in the test database on the app's connections (its pool, its listeners). The
 * test's own short-lived connections are left out: one starting up, or polling, while the handler
 * counts would be counted too.
 */
async function openTransactions(): Promise<number> {
  const [row] = await queryDatabase<{ n: number }>(
    databaseUrl,
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid()
       AND (application_name = 'nest-modulith' OR application_name LIKE 'nest-modulith:%')
       AND backend_type = 'client backend' AND xact_start IS NOT NULL`,
  );
  return row!.n;
}

@Module({
  imports: [
    ShippingPrismaModule,
    ClsModule.registerPlugins([prismaTransactions('shipping', ShippingPrismaModule, PrismaClient)]),
  ],
  providers: [
    PrintLabel,
    NotifyCustomer,
    inboxConsumers({ schema: 'shipping', transactions: 'shipping', handlers: [PrintLabel, NotifyCustomer] }),
  ],
})
class ShippingModule {}

describe('InboxModule: a module’s handlers consume through the inbox, in the module’s transaction', () => {
  let database: TestDatabase;
  let app: INestApplicationContext;
  let migrations: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    // The module's migrations, as prisma/shipping/migrations would hold them: its tables with the
    // inbox's, then its role (both blocks copied from the READMEs, as a module's migrations are).
    const sqlOf = (readme: string, after = '') => {
      const text = readFileSync(path.resolve(readme), 'utf8');
      return /```sql\n([\s\S]*?)```/.exec(text.slice(text.indexOf(after)))![1]!.replaceAll('<schema>', 'shipping');
    };
    migrations = mkdtempSync(path.join(tmpdir(), 'nest-modulith-shipping-'));
    const migration = (name: string, sql: string) => {
      mkdirSync(path.join(migrations, 'shipping/migrations', name), { recursive: true });
      writeFileSync(path.join(migrations, 'shipping/migrations', name, 'migration.sql'), sql);
    };
    migration(
      '001_create_labels',
      `CREATE SCHEMA IF NOT EXISTS shipping;
       ${sqlOf('libs/platform/inbox/README.md')};
       CREATE TABLE shipping.labels (parcel text NOT NULL);
       CREATE TABLE shipping.notifications (parcel text PRIMARY KEY);`,
    );
    migration('002_create_module_role', sqlOf('prisma/README.md', '## Data ownership'));
    databaseUrl = database.url;
    const config = loadConfig({
      DATABASE_URL: database.url,
      MIGRATIONS_DIR: migrations,
      LOG_LEVEL: 'error',
      SEED_SAMPLE_DATA: 'false',
    });
    @Module({ imports: [PlatformModule.forRoot(config, 'api'), ShippingModule] })
    class Root {}
    app = await NestFactory.createApplicationContext(Root, { logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
    rmSync(migrations, { recursive: true, force: true });
  });

  const labels = (parcel: string) =>
    queryDatabase<{ parcel: string }>(database.url, 'SELECT parcel FROM shipping.labels WHERE parcel = $1', [parcel]);

  it('applies a message delivered twice once', async () => {
    const event = createEvent(Shipped, 'p-1', { parcel: 'p-1', failFirst: false }, { source: '/modules/ordering' });
    const broker = app.get(MessageBroker);
    await broker.publish([toBrokerMessage(event)]);
    await broker.publish([toBrokerMessage(event)]);
    const [consumer] = app.get(InboxConsumers).consumers;
    await waitFor(() => consumer!.counters.handled + consumer!.counters.duplicates === 2);
    expect(consumer!.counters).toMatchObject({ handled: 1, duplicates: 1 });
    expect(await labels('p-1')).toHaveLength(1);
  });

  it('rolls back the effects of a failed attempt with its inbox record, then applies the retry once', async () => {
    const event = createEvent(Shipped, 'p-2', { parcel: 'p-2', failFirst: true }, { source: '/modules/ordering' });
    await app.get(MessageBroker).publish([toBrokerMessage(event)]);
    const inboxRows = () =>
      queryDatabase(database.url, 'SELECT consumer FROM shipping.inbox WHERE message_id = $1', [event.id]);
    await waitFor(async () => (await inboxRows()).length === 1);
    expect(attempts.get(event.id)).toBe(2);
    expect(await inboxRows()).toEqual([{ consumer: 'shipping.print-label' }]);
    expect(await labels('p-2')).toHaveLength(1);
  });

  describe("a handler that owns its transactions (transactionOwner: 'handler')", () => {
    const deliver = async (parcel: string, failures: number) => {
      const event = createEvent(Delivered, parcel, { parcel, failures }, { source: '/modules/ordering' });
      await app.get(MessageBroker).publish([toBrokerMessage(event)]);
      return event;
    };
    const inboxRows = (messageId: string) =>
      queryDatabase(database.url, 'SELECT consumer FROM shipping.inbox WHERE message_id = $1', [messageId]);
    const notifications = (parcel: string) =>
      queryDatabase(database.url, 'SELECT parcel FROM shipping.notifications WHERE parcel = $1', [parcel]);

    it('runs with no transaction open, in async context or in the database; the message is recorded after it, a duplicate skipped', async () => {
      const event = await deliver('p-3', 0);
      await waitFor(async () => (await inboxRows(event.id)).length === 1);
      await app.get(MessageBroker).publish([toBrokerMessage(event)]);
      const [, notifier] = app.get(InboxConsumers).consumers;
      await waitFor(() => notifier!.counters.duplicates === 1);

      expect(notifierRuns.get('p-3')).toEqual([{ transactionActive: false, openTransactions: 0 }]);
      expect(await notifications('p-3')).toHaveLength(1);
      expect(await inboxRows(event.id)).toEqual([{ consumer: 'shipping.notify-customer' }]);
    });

    it('is retried when it fails, and the message recorded once it succeeds', async () => {
      const event = await deliver('p-4', 1);
      await waitFor(async () => (await inboxRows(event.id)).length === 1);
      expect(notifierRuns.get('p-4')).toHaveLength(2);
      expect(await notifications('p-4')).toHaveLength(1);
    });

    it('is dead-lettered after maxAttempts, and replayed through the module’s definition', async () => {
      const event = await deliver('p-5', 3);
      const connection = app.get(DatabaseConnection);
      await waitFor(
        async () => (await listInboxDeadLetters(connection, 'shipping', 'shipping.notify-customer')).length === 1,
      );
      expect(notifierRuns.get('p-5')).toHaveLength(3);
      expect(await inboxRows(event.id)).toEqual([]);

      const { definition, runInTransaction } = app
        .get(InboxFeature)
        .consumers.find((consumer) => consumer.definition.name === 'shipping.notify-customer')!;
      expect(await replayInboxDeadLetters(connection, definition, runInTransaction)).toEqual({
        applied: 1,
        duplicates: 0,
        failed: 0,
      });
      expect(notifierRuns.get('p-5')).toHaveLength(4);
      expect(notifierRuns.get('p-5')![3]).toEqual({ transactionActive: false, openTransactions: 0 });
      expect(await inboxRows(event.id)).toEqual([{ consumer: 'shipping.notify-customer' }]);
      expect(await listInboxDeadLetters(connection, 'shipping')).toEqual([]);
      expect(await notifications('p-5')).toHaveLength(1);
    });
  });
});
