import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectTransactionHost, type TransactionHost } from '@nestjs-cls/transactional';
import { loadConfig } from '@platform/config';
import { prismaTransactions, providePrismaClient } from '@platform/database';
import { PlatformModule } from '@platform/defaults';
import { type InboxHandler, inboxConsumers, InboxConsumers } from '@platform/inbox';
import { createEvent, defineEvent, type IntegrationEvent, MessageBroker, toBrokerMessage } from '@platform/messaging';
import { ClsModule } from 'nestjs-cls';
import { z } from 'zod';
import { PrismaClient } from '../../libs/ordering/src/infrastructure/persistence/generated/client';
import { createTestDatabase, queryDatabase, type TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const Shipped = defineEvent('ordering.parcel-shipped.v1', z.object({ parcel: z.string(), failFirst: z.boolean() }));

/** A consuming module as a bounded context would write one: its own client, transactions and handler. */
@Module({
  providers: [providePrismaClient(PrismaClient, (adapter) => new PrismaClient({ adapter }))],
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

@Module({
  imports: [
    ShippingPrismaModule,
    ClsModule.registerPlugins([prismaTransactions('shipping', ShippingPrismaModule, PrismaClient)]),
  ],
  providers: [PrintLabel, inboxConsumers({ schema: 'shipping', transactions: 'shipping', handlers: [PrintLabel] })],
})
class ShippingModule {}

describe('InboxModule: a module’s handlers consume through the inbox, in the module’s transaction', () => {
  let database: TestDatabase;
  let app: INestApplicationContext;

  beforeAll(async () => {
    database = await createTestDatabase();
    const readme = readFileSync(path.resolve('libs/platform/inbox/README.md'), 'utf8');
    const inboxSql = /```sql\n([\s\S]*?)```/.exec(readme)![1]!.replaceAll('<schema>', 'shipping');
    await queryDatabase(
      database.url,
      `CREATE SCHEMA shipping; ${inboxSql}; CREATE TABLE shipping.labels (parcel text NOT NULL);`,
    );
    const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'error', SEED_SAMPLE_DATA: 'false' });
    @Module({ imports: [PlatformModule.forRoot(config, 'api'), ShippingModule] })
    class Root {}
    app = await NestFactory.createApplicationContext(Root, { logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
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
});
