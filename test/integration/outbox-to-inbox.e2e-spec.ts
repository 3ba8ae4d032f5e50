import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyMigrations, PostgresConnection } from '@platform/database';
import { defineInboxConsumer, InboxConsumer } from '@platform/inbox';
import { type BrokerMessage, createEvent, defineEvent, InProcessBroker, MessageBroker } from '@platform/messaging';
import { OutboxRelay, type OutboxRelayOptions, recordInOutbox } from '@platform/outbox';
import { z } from 'zod';
import { createTestDatabase, queryDatabase, type TestDatabase } from '../support/test-database';
import { sleep, waitFor } from '../support/wait-for';

const Shipped = defineEvent('ordering.parcel-shipped.v1', z.object({ parcel: z.string() }));
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Accepts messages, then never answers: the relay that published them "dies" before marking them. */
class AcceptThenHang extends MessageBroker {
  readonly name = 'accept-then-hang';
  constructor(private readonly inner: InProcessBroker) {
    super();
  }
  ensureTopics(topics: readonly string[]) {
    return this.inner.ensureTopics(topics);
  }
  async publish(messages: readonly BrokerMessage[]): Promise<void> {
    await this.inner.publish(messages);
    await new Promise(() => undefined);
  }
  consume(options: Parameters<MessageBroker['consume']>[0]) {
    return this.inner.consume(options);
  }
  close() {
    return this.inner.close();
  }
}

/**
 * The whole path, outbox to inbox: a relay crashes after the broker accepted its batch and before
 * it marked the rows; another relay publishes them again; the consumer applies each event once.
 */
describe('Outbox to inbox (PostgreSQL, in-process broker)', () => {
  let database: TestDatabase;
  let connection: PostgresConnection;

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = PostgresConnection.open(database.url, 6, 'outbox-to-inbox');
    await applyMigrations(connection, path.resolve('prisma'), { log: () => undefined });
    const readme = readFileSync(path.resolve('libs/platform/inbox/README.md'), 'utf8');
    const inboxSql = /```sql\n([\s\S]*?)```/.exec(readme)![1]!.replaceAll('<schema>', 'shipping');
    await connection.withSession((session) =>
      session.executeScript(
        `CREATE SCHEMA shipping; ${inboxSql}; CREATE TABLE shipping.labels (parcel text PRIMARY KEY, printed int NOT NULL);`,
      ),
    );
  });
  afterAll(async () => {
    await connection.close();
    await database.drop();
  });

  it('delivers twice and applies once when a relay dies between the broker’s ack and marking the row', async () => {
    const broker = new InProcessBroker();
    const consumer = new InboxConsumer(
      broker,
      defineInboxConsumer({
        name: 'shipping.print-label',
        schema: 'shipping',
        contract: Shipped,
        maxAttempts: 5,
        handle: async (event, tx) => {
          await tx.query(
            `INSERT INTO shipping.labels (parcel, printed) VALUES ($1, 1)
             ON CONFLICT (parcel) DO UPDATE SET printed = shipping.labels.printed + 1`,
            [event.data.parcel],
          );
        },
      }),
      (work) => connection.withTransaction(work),
      quiet,
    );
    await consumer.start();
    const options = (relayId: string): OutboxRelayOptions => ({
      schema: 'ordering',
      relayId,
      batchSize: 10,
      leaseMs: 300,
      maxAttempts: 3,
      backoffBaseMs: 1,
      backoffCapMs: 5,
      pollIntervalMs: 50,
      retentionMs: 3600_000,
      purgeIntervalMs: 3600_000,
    });
    try {
      await connection.withTransaction((session) =>
        recordInOutbox(session, 'ordering', [
          createEvent(Shipped, 'parcel-1', { parcel: 'parcel-1' }, { source: '/modules/ordering' }),
          createEvent(Shipped, 'parcel-2', { parcel: 'parcel-2' }, { source: '/modules/ordering' }),
        ]),
      );
      const dying = new OutboxRelay(connection, new AcceptThenHang(broker), options('dying'), quiet);
      void waitFor(async () => (await dying.runOnce()) > 0).catch(() => undefined);
      await waitFor(() => consumer.counters.handled === 2);

      await sleep(350); // the dying relay's lease runs out
      const survivor = new OutboxRelay(connection, broker, options('survivor'), quiet);
      await survivor.start();
      try {
        await waitFor(() => consumer.counters.duplicates === 2);
      } finally {
        await survivor.stop();
      }
      expect(await queryDatabase(database.url, 'SELECT parcel, printed FROM shipping.labels ORDER BY parcel')).toEqual([
        { parcel: 'parcel-1', printed: 1 },
        { parcel: 'parcel-2', printed: 1 },
      ]);
      expect(
        await queryDatabase(database.url, "SELECT count(*)::int AS n FROM ordering.outbox WHERE status = 'PUBLISHED'"),
      ).toEqual([{ n: 2 }]);
    } finally {
      await consumer.stop();
    }
  });
});
