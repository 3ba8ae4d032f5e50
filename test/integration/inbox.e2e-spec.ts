import { readFileSync } from 'node:fs';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { Telemetry } from '@platform/observability';
import path from 'node:path';
import { type DatabaseConnection, PostgresConnection, type SqlRow } from '@platform/database';
import {
  InboxConsumer,
  type InboxConsumerDefinition,
  type InboxDelivery,
  listInboxDeadLetters,
  purgeInbox,
  replayInboxDeadLetters,
  type RunInTransaction,
  type RunStatement,
  type SqlExecutor,
} from '@platform/inbox';
import {
  type BrokerMessage,
  type ConsumerOptions,
  createEvent,
  defineEvent,
  type DeliveredMessage,
  type EventData,
  InProcessBroker,
  type IntegrationEvent,
  MessageBroker,
  toBrokerMessage,
} from '@platform/messaging';
import { BreakerOpen, DependencyUnavailable } from '@platform/resilience';
import { z } from 'zod';
import { createTestDatabase, queryDatabase, type TestDatabase } from '../support/test-database';

const StockWanted = defineEvent('ordering.stock-wanted.v1', z.object({ seq: z.int() }));
type Handler = (event: IntegrationEvent<EventData<typeof StockWanted>>, tx: SqlExecutor) => Promise<void>;

const SCHEMA = 'inboxtest';
const CONSUMER = 'inventory.reserve-stock';

/** The table SQL of the README, exactly as a module would put it in its migration. */
function inboxTablesFromReadme(schema: string): string {
  const readme = readFileSync(path.resolve('libs/platform/inbox/README.md'), 'utf8');
  const block = /```sql\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) {
    throw new Error('libs/platform/inbox/README.md has no sql block');
  }
  return block.replaceAll('<schema>', schema);
}

const event = (subject: string, seq: number) =>
  createEvent(StockWanted, subject, { seq }, { source: '/modules/ordering' });

/** A broker whose consumers fail once after the handler resolved: a crash after commit, before the ack. */
class AckFailingBroker extends MessageBroker {
  readonly name = 'ack-failing';
  readonly deliveries: number[] = [];
  private failed = false;

  constructor(private readonly inner: InProcessBroker) {
    super();
  }
  ensureTopics(topics: readonly string[]) {
    return this.inner.ensureTopics(topics);
  }
  publish(messages: readonly BrokerMessage[]) {
    return this.inner.publish(messages);
  }
  consume(options: ConsumerOptions) {
    return this.inner.consume({
      ...options,
      handler: async (message: DeliveredMessage) => {
        this.deliveries.push(message.deliveryAttempt);
        await options.handler(message);
        if (!this.failed) {
          this.failed = true;
          throw new Error('connection to the broker lost before the offset commit');
        }
      },
    });
  }
  close() {
    return this.inner.close();
  }
}

describe('Inbox (PostgreSQL, in-process broker)', () => {
  let database: TestDatabase;
  let connection: DatabaseConnection;
  let broker: InProcessBroker;
  let consumers: InboxConsumer<typeof StockWanted>[];
  let errors: string[];
  const runInTransaction: RunInTransaction = (work) => connection.withTransaction(work);

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = PostgresConnection.open(database.url, 10, 'inbox-test');
    await connection.withSession(async (session) => {
      await session.executeScript(`CREATE SCHEMA "${SCHEMA}"`);
      await session.executeScript(inboxTablesFromReadme(SCHEMA));
      // What the handlers do: one row per application of a message.
      await session.executeScript(
        `CREATE TABLE "${SCHEMA}"."effects" (id BIGSERIAL PRIMARY KEY, message_id UUID NOT NULL, subject TEXT NOT NULL, seq INT NOT NULL)`,
      );
    });
  });

  afterAll(async () => {
    await connection.close();
    await database.drop();
  });

  beforeEach(async () => {
    await queryDatabase(
      database.url,
      `TRUNCATE "${SCHEMA}"."inbox", "${SCHEMA}"."inbox_dead_letters", "${SCHEMA}"."effects"`,
    );
    broker = new InProcessBroker(4, 20);
    consumers = [];
    errors = [];
  });

  afterEach(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  });

  const applyEffect: Handler = async (delivered, tx) => {
    await tx.query(`INSERT INTO "${SCHEMA}"."effects" (message_id, subject, seq) VALUES ($1, $2, $3)`, [
      delivered.id,
      delivered.subject,
      delivered.data.seq,
    ]);
  };

  function definition(handle: Handler, maxAttempts = 3): InboxConsumerDefinition<typeof StockWanted> {
    return { name: CONSUMER, schema: SCHEMA, contract: StockWanted, maxAttempts, handle };
  }

  async function startConsumer(handle: Handler, on: MessageBroker = broker, maxAttempts = 3, maxBatchSize?: number) {
    const consumer = new InboxConsumer(
      on,
      definition(handle, maxAttempts),
      runInTransaction,
      { log: () => undefined, warn: () => undefined, error: (message) => errors.push(message) },
      CONSUMER,
      undefined,
      maxBatchSize,
    );
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  }

  const effects = async () =>
    (
      await queryDatabase<{ subject: string; seq: number }>(
        database.url,
        `SELECT subject, seq FROM "${SCHEMA}"."effects" ORDER BY id`,
      )
    ).map((row) => `${row.subject}#${row.seq}`);
  const inboxSize = async () =>
    Number((await queryDatabase<{ n: string }>(database.url, `SELECT count(*) AS n FROM "${SCHEMA}"."inbox"`))[0]!.n);

  it('applies a message delivered twice once', async () => {
    const consumer = await startConsumer(applyEffect);
    const message = toBrokerMessage(event('order-1', 1));
    await broker.publish([message]);
    await broker.publish([message]);

    await waitFor(() => consumer.counters.handled + consumer.counters.duplicates === 2);
    expect(await effects()).toEqual(['order-1#1']);
    expect(consumer.counters).toEqual({ handled: 1, duplicates: 1, failedAttempts: 0, deadLettered: 0 });
    expect(await inboxSize()).toBe(1);
  });

  it('applies once a message whose consumer failed after its effect and before its ack', async () => {
    const flaky = new AckFailingBroker(broker);
    const consumer = await startConsumer(applyEffect, flaky);
    await flaky.publish([toBrokerMessage(event('order-1', 1))]);

    await waitFor(() => consumer.counters.duplicates === 1);
    expect(flaky.deliveries).toEqual([1, 2]); // delivered again after the failed ack...
    expect(await effects()).toEqual(['order-1#1']); // ...and applied once
    expect(consumer.counters).toEqual({ handled: 1, duplicates: 1, failedAttempts: 0, deadLettered: 0 });
  });

  it('retries a handler that fails twice, rolling back its partial effects, and applies the message once', async () => {
    let calls = 0;
    const consumer = await startConsumer(async (delivered, tx) => {
      calls += 1;
      await applyEffect(delivered, tx); // written, then rolled back by the failure
      if (calls <= 2) {
        throw new Error('deadlock detected');
      }
    });
    await broker.publish([toBrokerMessage(event('order-1', 1))]);

    await waitFor(() => consumer.counters.handled === 1);
    expect(calls).toBe(3);
    expect(await effects()).toEqual(['order-1#1']);
    expect(consumer.counters).toEqual({ handled: 1, duplicates: 0, failedAttempts: 2, deadLettered: 0 });
    expect(await inboxSize()).toBe(1);
  });

  it('keeps retrying, past maxAttempts, a handler failing on an unavailable dependency, and applies it once it is back', async () => {
    let calls = 0;
    const consumer = await startConsumer(async (delivered, tx) => {
      calls += 1;
      if (calls <= 3) {
        throw new Error('invalidating the cache failed', { cause: new BreakerOpen('redis') });
      }
      if (calls <= 6) {
        // The breaker's half-open probe fails on the connection itself.
        throw new DependencyUnavailable('Redis: connection refused');
      }
      await applyEffect(delivered, tx);
    });
    // The in-process broker resolves the publish once the message is handled.
    await broker.publish([toBrokerMessage(event('order-1', 1))]);

    expect(calls).toBe(7); // maxAttempts is 3
    expect(await effects()).toEqual(['order-1#1']);
    expect(consumer.counters).toEqual({ handled: 1, duplicates: 0, failedAttempts: 6, deadLettered: 0 });
  });

  it('dead-letters a message whose handler keeps failing, keeps the others flowing, and replays it after the fix', async () => {
    let fixed = false;
    const handle: Handler = async (delivered, tx) => {
      if (!fixed && delivered.subject === 'order-1' && delivered.data.seq === 2) {
        throw new Error('stock row for sku A is missing');
      }
      await applyEffect(delivered, tx);
    };
    const consumer = await startConsumer(handle);
    const poison = event('order-1', 2);
    await broker.publish([event('order-1', 1), poison, event('order-1', 3), event('order-2', 1)].map(toBrokerMessage));

    await waitFor(() => consumer.counters.handled === 3 && consumer.counters.deadLettered === 1);
    expect((await effects()).filter((effect) => effect.startsWith('order-1'))).toEqual(['order-1#1', 'order-1#3']);
    expect((await effects()).sort()).toEqual(['order-1#1', 'order-1#3', 'order-2#1']);
    expect(consumer.counters).toEqual({ handled: 3, duplicates: 0, failedAttempts: 3, deadLettered: 1 });
    const dead = await listInboxDeadLetters(connection, SCHEMA, CONSUMER);
    expect(dead).toEqual([
      {
        consumer: CONSUMER,
        messageId: poison.id,
        eventType: StockWanted.type,
        subject: 'order-1',
        event: poison,
        error: 'stock row for sku A is missing',
        attempts: 3,
        deadAt: expect.any(Date),
      },
    ]);
    expect(await listInboxDeadLetters(connection, SCHEMA, 'another.consumer')).toEqual([]);
    expect(errors).toEqual([expect.stringContaining(`message ${poison.id}`)]);

    // Replayed before the fix: fails again, changes nothing but the dead letter.
    expect(await replayInboxDeadLetters(connection, definition(handle), runInTransaction)).toEqual({
      applied: 0,
      duplicates: 0,
      failed: 1,
    });
    expect(await listInboxDeadLetters(connection, SCHEMA)).toMatchObject([{ messageId: poison.id, attempts: 4 }]);
    expect(await inboxSize()).toBe(3);

    fixed = true;
    expect(await replayInboxDeadLetters(connection, definition(handle), runInTransaction, [poison.id])).toEqual({
      applied: 1,
      duplicates: 0,
      failed: 0,
    });
    expect(await effects()).toEqual(expect.arrayContaining(['order-1#2']));
    expect((await effects()).filter((effect) => effect === 'order-1#2')).toHaveLength(1);
    expect(await listInboxDeadLetters(connection, SCHEMA)).toEqual([]);
    expect(await inboxSize()).toBe(4);

    // A dead letter of a message applied meanwhile: the replay only removes it.
    await queryDatabase(
      database.url,
      `INSERT INTO "${SCHEMA}"."inbox_dead_letters" (consumer, message_id, event, error, attempts)
       VALUES ($1, $2, $3::jsonb, 'timeout', 3)`,
      [CONSUMER, poison.id, JSON.stringify(poison)],
    );
    expect(await replayInboxDeadLetters(connection, definition(handle), runInTransaction)).toEqual({
      applied: 0,
      duplicates: 1,
      failed: 0,
    });
    expect((await effects()).filter((effect) => effect === 'order-1#2')).toHaveLength(1);
    expect(await listInboxDeadLetters(connection, SCHEMA)).toEqual([]);
  });

  it('dead-letters a malformed message and a payload that breaks its contract at once, without blocking the key', async () => {
    const consumer = await startConsumer(applyEffect);
    const noHeaders: BrokerMessage = { topic: StockWanted.type, key: 'order-9', value: '{"seq":1}', headers: {} };
    const broken = event('order-9', 2);
    const brokenMessage = { ...toBrokerMessage(broken), value: '{"seq":"two"}' };
    const fine = event('order-9', 3);
    await broker.publish([noHeaders, brokenMessage, toBrokerMessage(fine)]);

    await waitFor(() => consumer.counters.handled === 1 && consumer.counters.deadLettered === 2);
    expect(await effects()).toEqual(['order-9#3']);
    expect(consumer.counters).toEqual({ handled: 1, duplicates: 0, failedAttempts: 0, deadLettered: 2 });
    const dead = await listInboxDeadLetters(connection, SCHEMA, CONSUMER);
    expect(dead).toHaveLength(2);
    const unreadable = dead.find((letter) => letter.messageId !== broken.id)!;
    expect(unreadable).toEqual({
      consumer: CONSUMER,
      messageId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      eventType: StockWanted.type,
      subject: 'order-9',
      event: { brokerMessage: noHeaders },
      error: 'Not a CloudEvents message: header ce_specversion is missing',
      attempts: 1,
      deadAt: expect.any(Date),
    });
    expect(dead.find((letter) => letter.messageId === broken.id)).toEqual({
      consumer: CONSUMER,
      messageId: broken.id,
      eventType: StockWanted.type,
      subject: 'order-9',
      event: { ...broken, data: { seq: 'two' } },
      error: expect.stringMatching(/^Payload of ordering\.stock-wanted\.v1 does not match its contract: seq: /),
      attempts: 1,
      deadAt: expect.any(Date),
    });
    expect(errors).toHaveLength(2);
  });

  describe('messages delivered while a transaction of the consumer runs', () => {
    /**
     * The first message's handler waits for `release`; meanwhile the others are delivered from
     * other partitions, and wait for the consumer's next transaction.
     */
    async function deliverWhileBusy(handle: Handler, others: number, maxBatchSize?: number) {
      broker = new InProcessBroker(16, 20);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const consumer = await startConsumer(
        async (delivered, tx) => {
          if (delivered.subject === 'first') {
            await released;
          }
          await handle(delivered, tx);
        },
        broker,
        3,
        maxBatchSize,
      );
      const published = broker.publish(
        [event('first', 0), ...Array.from({ length: others }, (_, n) => event(`order-${n + 1}`, n + 1))].map(
          toBrokerMessage,
        ),
      );
      await sleep(200);
      release();
      await published;
      return consumer;
    }

    it('applies them together in the next transaction, each once', async () => {
      const transactionOf = new Map<number, string>();
      const consumer = await deliverWhileBusy(async (delivered, tx) => {
        const [{ id }] = (await tx.query<{ id: string }>('SELECT txid_current()::text AS id')) as [{ id: string }];
        transactionOf.set(delivered.data.seq, id);
        await applyEffect(delivered, tx);
      }, 12);

      expect(consumer.counters).toEqual({ handled: 13, duplicates: 0, failedAttempts: 0, deadLettered: 0 });
      expect((await effects()).sort()).toEqual(
        ['first#0', ...Array.from({ length: 12 }, (_, n) => `order-${n + 1}#${n + 1}`)].sort(),
      );
      expect(await inboxSize()).toBe(13);
      const messagesPerTransaction = [...transactionOf.values()].reduce(
        (counts, id) => counts.set(id, (counts.get(id) ?? 0) + 1),
        new Map<string, number>(),
      );
      // Sixteen partitions for thirteen keys: a few share one, and their next message waits.
      expect(Math.max(...messagesPerTransaction.values())).toBeGreaterThanOrEqual(5);
      expect(messagesPerTransaction.size).toBeLessThan(13);
    });

    it('with maxBatchSize 1, applies each in a transaction of its own', async () => {
      const transactions = new Set<string>();
      const consumer = await deliverWhileBusy(
        async (delivered, tx) => {
          const [{ id }] = (await tx.query<{ id: string }>('SELECT txid_current()::text AS id')) as [{ id: string }];
          transactions.add(id);
          await applyEffect(delivered, tx);
        },
        12,
        1,
      );

      expect(consumer.counters).toEqual({ handled: 13, duplicates: 0, failedAttempts: 0, deadLettered: 0 });
      expect(transactions.size).toBe(13);
      expect(await inboxSize()).toBe(13);
    });

    it('applies the others when one of them fails, and retries only that one', async () => {
      const calls = new Map<number, number>();
      const messagesSeen = new Map<string, number>();
      // The second message of a batch fails there, then once more alone; its next delivery succeeds.
      let failing: { seq: number; failuresLeft: number } | null = null;
      const consumer = await deliverWhileBusy(async (delivered, tx) => {
        const { seq } = delivered.data;
        calls.set(seq, (calls.get(seq) ?? 0) + 1);
        const [{ id }] = (await tx.query<{ id: string }>('SELECT txid_current()::text AS id')) as [{ id: string }];
        messagesSeen.set(id, (messagesSeen.get(id) ?? 0) + 1);
        await applyEffect(delivered, tx); // rolled back with the failure
        failing ??= messagesSeen.get(id)! === 2 ? { seq, failuresLeft: 2 } : null;
        if (failing?.seq === seq && failing.failuresLeft > 0) {
          failing.failuresLeft -= 1;
          throw new Error('deadlock detected');
        }
      }, 12);

      expect(failing).not.toBeNull();
      expect((await effects()).sort()).toEqual(
        ['first#0', ...Array.from({ length: 12 }, (_, n) => `order-${n + 1}#${n + 1}`)].sort(),
      );
      // The batch's failure is not the message's: only its attempt alone counts.
      expect(consumer.counters).toEqual({ handled: 13, duplicates: 0, failedAttempts: 1, deadLettered: 0 });
      expect(calls.get(failing!.seq)).toBe(3);
      expect(await inboxSize()).toBe(13);
    });
  });

  describe('with a consumer that applies a batch at once (handleBatch)', () => {
    type Delivery = InboxDelivery<EventData<typeof StockWanted>>;

    /** Like deliverWhileBusy, with handleBatch beside handle: the first message blocks the consumer. */
    async function deliverToBatchConsumer(
      handleBatch: (deliveries: readonly Delivery[], tx: SqlExecutor) => Promise<void>,
    ) {
      broker = new InProcessBroker(16, 20);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const singles: number[] = [];
      const consumer = new InboxConsumer(
        broker,
        {
          ...(definition(async (delivered, tx) => {
            singles.push(delivered.data.seq);
            if (delivered.subject === 'first') {
              await released;
            }
            await applyEffect(delivered, tx);
          }) as InboxConsumerDefinition<typeof StockWanted> & { transactionOwner?: 'inbox' }),
          handleBatch,
        },
        runInTransaction,
        { log: () => undefined, warn: () => undefined, error: (message) => errors.push(message) },
        CONSUMER,
      );
      consumers.push(consumer);
      await consumer.start();
      const sent = [event('first', 0), ...Array.from({ length: 12 }, (_, n) => event(`order-${n + 1}`, n + 1))];
      const published = broker.publish(sent.map(toBrokerMessage));
      await sleep(200);
      release();
      await published;
      return { consumer, singles };
    }

    it('hands the new messages of a batch to handleBatch in one call, in delivery order, each once', async () => {
      const batches: number[][] = [];
      const { consumer, singles } = await deliverToBatchConsumer(async (deliveries, tx) => {
        batches.push(deliveries.map((delivery) => delivery.event.data.seq));
        for (const delivery of deliveries) {
          await applyEffect(delivery.event, tx);
        }
      });

      expect(consumer.counters).toEqual({ handled: 13, duplicates: 0, failedAttempts: 0, deadLettered: 0 });
      expect(Math.max(...batches.map((batch) => batch.length))).toBeGreaterThanOrEqual(5);
      // A partition's messages keep their order inside a batch and across batches.
      for (const batch of batches) {
        expect(batch).toEqual([...batch].sort((a, b) => a - b));
      }
      // handle took the first message alone (and any other batch of one), handleBatch the rest.
      expect([...singles, ...batches.flat()].sort((a, b) => a - b)).toEqual(Array.from({ length: 13 }, (_, n) => n));
      expect(await inboxSize()).toBe(13);
      expect((await effects()).length).toBe(13);
    });

    it("runs within() in each delivery's context: its CONSUMER span active", async () => {
      const exporter = new InMemorySpanExporter();
      const telemetry = Telemetry.start({
        serviceName: 'inbox-test',
        serviceVersion: '0.0.0',
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      });
      const activeSpans = new Map<string, string | undefined>();
      let finished: ReadableSpan[];
      try {
        await deliverToBatchConsumer(async (deliveries, tx) => {
          for (const delivery of deliveries) {
            activeSpans.set(
              delivery.event.id,
              delivery.within(() => trace.getActiveSpan()?.spanContext().spanId),
            );
            await applyEffect(delivery.event, tx);
          }
        });
        // The exporter forgets its spans on shutdown.
        finished = exporter.getFinishedSpans();
      } finally {
        await telemetry.shutdown();
      }
      const consumerSpans = new Map(
        finished
          .filter((span) => span.name === `process ${StockWanted.type}`)
          .map((span) => [span.attributes['messaging.message.id'], span.spanContext().spanId]),
      );
      expect(activeSpans.size).toBeGreaterThan(1);
      for (const [messageId, spanId] of activeSpans) {
        expect(spanId).toBe(consumerSpans.get(messageId));
      }
    });

    it('applies the messages one by one through handle when handleBatch fails, each once', async () => {
      let batchCalls = 0;
      const { consumer, singles } = await deliverToBatchConsumer(async (deliveries, tx) => {
        batchCalls += 1;
        await applyEffect(deliveries[0]!.event, tx); // rolled back with the failure
        throw new Error('deadlock detected');
      });

      expect(batchCalls).toBeGreaterThan(0);
      expect(singles.sort((a, b) => a - b)).toEqual(Array.from({ length: 13 }, (_, n) => n));
      expect(consumer.counters).toEqual({ handled: 13, duplicates: 0, failedAttempts: 0, deadLettered: 0 });
      expect((await effects()).sort()).toEqual(
        ['first#0', ...Array.from({ length: 12 }, (_, n) => `order-${n + 1}#${n + 1}`)].sort(),
      );
    });
  });

  describe("with a handler that owns its transactions (transactionOwner: 'handler')", () => {
    type OwnHandler = (event: IntegrationEvent<EventData<typeof StockWanted>>) => Promise<void>;

    function ownDefinition(handle: OwnHandler, maxAttempts = 3): InboxConsumerDefinition<typeof StockWanted> {
      return {
        name: CONSUMER,
        schema: SCHEMA,
        contract: StockWanted,
        maxAttempts,
        transactionOwner: 'handler',
        handle,
      };
    }

    /** What the inbox itself ran: the transactions it opened, and the statements it ran outside any. */
    let inboxTransactions = 0;
    let inboxStatements: string[] = [];
    beforeEach(() => {
      inboxTransactions = 0;
      inboxStatements = [];
    });
    const countedRunInTransaction: RunInTransaction = (work) => {
      inboxTransactions += 1;
      return runInTransaction(work);
    };
    /** Each statement on its own, no transaction around it: what InboxConsumers gives such a consumer. */
    const runStatement: RunStatement = {
      query: <Row extends SqlRow>(sql: string, params?: unknown[]) => {
        inboxStatements.push(sql.trim().split(' ')[0]!);
        return connection.withSession((session) => session.query<Row>(sql, params));
      },
    };

    async function startOwnConsumer(
      handle: OwnHandler,
      options: { maxAttempts?: number; run?: RunInTransaction; statement?: RunStatement | null } = {},
    ) {
      const consumer = new InboxConsumer(
        broker,
        ownDefinition(handle, options.maxAttempts),
        options.run ?? countedRunInTransaction,
        { log: () => undefined, warn: () => undefined, error: (message) => errors.push(message) },
        CONSUMER,
        options.statement === null ? undefined : (options.statement ?? runStatement),
      );
      consumers.push(consumer);
      await consumer.start();
      return consumer;
    }

    /** The handler's own unit of work, idempotent on its business key (subject, seq), as the mode requires. */
    const applyEffectOnce: OwnHandler = async (delivered) => {
      await connection.withTransaction((tx) =>
        tx.query(
          `INSERT INTO "${SCHEMA}"."effects" (message_id, subject, seq)
           SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM "${SCHEMA}"."effects" WHERE subject = $2 AND seq = $3)`,
          [delivered.id, delivered.subject, delivered.data.seq],
        ),
      );
    };

    /** Transactions open in this database on any other connection (the pool's included), seen from a new one. */
    const openTransactions = async () =>
      (
        await queryDatabase<{ n: number }>(
          database.url,
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()
             AND backend_type = 'client backend' AND xact_start IS NOT NULL`,
        )
      )[0]!.n;

    it('shares its check and its record among the deliveries at hand: one statement each for many', async () => {
      broker = new InProcessBroker(16, 20);
      const consumer = await startOwnConsumer(applyEffectOnce);
      const messages = Array.from({ length: 12 }, (_, n) => toBrokerMessage(event(`order-${n + 1}`, n + 1)));
      await broker.publish(messages);

      expect(consumer.counters).toEqual({ handled: 12, duplicates: 0, failedAttempts: 0, deadLettered: 0 });
      expect((await effects()).length).toBe(12);
      expect(await inboxSize()).toBe(12);
      const checks = inboxStatements.filter((statement) => statement === 'SELECT').length;
      const records = inboxStatements.filter((statement) => statement === 'INSERT').length;
      expect(checks).toBeLessThan(12);
      expect(records).toBeLessThan(12);
      expect(inboxTransactions).toBe(0);

      await broker.publish(messages); // all delivered again: found by the shared checks
      expect(consumer.counters).toEqual({ handled: 12, duplicates: 12, failedAttempts: 0, deadLettered: 0 });
      expect((await effects()).length).toBe(12);
    });

    it('runs the handler with no transaction open, records the message after it, and skips a duplicate', async () => {
      const seenByHandler: { openTransactions: number; inboxRows: number }[] = [];
      const committedByHandler: string[][] = [];
      const consumer = await startOwnConsumer(async (delivered) => {
        seenByHandler.push({ openTransactions: await openTransactions(), inboxRows: await inboxSize() });
        await applyEffectOnce(delivered);
        committedByHandler.push(await effects()); // read on another connection: committed already
      });
      const message = toBrokerMessage(event('order-1', 1));
      await broker.publish([message]);
      await broker.publish([message]);

      await waitFor(() => consumer.counters.handled + consumer.counters.duplicates === 2);
      expect(seenByHandler).toEqual([{ openTransactions: 0, inboxRows: 0 }]);
      expect(committedByHandler).toEqual([['order-1#1']]);
      expect(consumer.counters).toEqual({ handled: 1, duplicates: 1, failedAttempts: 0, deadLettered: 0 });
      expect(await inboxSize()).toBe(1);
      // The check and the record are one statement each: no transaction (BEGIN, COMMIT) around them.
      expect(inboxStatements).toEqual(['SELECT', 'INSERT', 'SELECT']);
      expect(inboxTransactions).toBe(0);
    });

    it('without runStatement, checks and records each in a transaction of its own', async () => {
      const consumer = await startOwnConsumer(applyEffectOnce, { statement: null });
      const message = toBrokerMessage(event('order-1', 1));
      await broker.publish([message]);
      await broker.publish([message]);

      await waitFor(() => consumer.counters.handled + consumer.counters.duplicates === 2);
      expect(consumer.counters).toMatchObject({ handled: 1, duplicates: 1 });
      expect(await effects()).toEqual(['order-1#1']);
      expect(inboxTransactions).toBe(3);
      expect(inboxStatements).toEqual([]);
    });

    it('retries a handler that fails, recording nothing until it succeeds', async () => {
      const inboxRowsAtEachRun: number[] = [];
      const consumer = await startOwnConsumer(async (delivered) => {
        inboxRowsAtEachRun.push(await inboxSize());
        if (inboxRowsAtEachRun.length <= 2) {
          throw new Error('deadlock detected');
        }
        await applyEffectOnce(delivered);
      });
      await broker.publish([toBrokerMessage(event('order-1', 1))]);

      await waitFor(() => consumer.counters.handled === 1);
      expect(inboxRowsAtEachRun).toEqual([0, 0, 0]);
      expect(await effects()).toEqual(['order-1#1']);
      expect(consumer.counters).toEqual({ handled: 1, duplicates: 0, failedAttempts: 2, deadLettered: 0 });
      expect(await inboxSize()).toBe(1);
    });

    it.each([
      ['a statement on its own', 'statement'],
      ['a transaction, without runStatement', 'transaction'],
    ])(
      'runs the handler again when the process dies between its effects and the record (%s): its own idempotency keeps one effect',
      async (_, recordedIn) => {
        let recordsToFail = 1;
        const dyingBefore = (next: SqlExecutor): SqlExecutor => ({
          query: async <Row extends SqlRow>(sql: string, params?: unknown[]) => {
            if (recordsToFail > 0 && sql.startsWith(`INSERT INTO "${SCHEMA}"."inbox"`)) {
              recordsToFail -= 1;
              throw new Error('process died before the inbox record');
            }
            return next.query<Row>(sql, params);
          },
        });
        let runs = 0;
        const consumer = await startOwnConsumer(
          async (delivered) => {
            runs += 1;
            await applyEffectOnce(delivered);
          },
          recordedIn === 'statement'
            ? { statement: dyingBefore(runStatement) }
            : { statement: null, run: (work) => connection.withTransaction((tx) => work(dyingBefore(tx))) },
        );
        await broker.publish([toBrokerMessage(event('order-1', 1))]);

        await waitFor(() => consumer.counters.handled === 1);
        expect(runs).toBe(2);
        expect(await effects()).toEqual(['order-1#1']);
        expect(consumer.counters).toEqual({ handled: 1, duplicates: 0, failedAttempts: 1, deadLettered: 0 });
        expect(await inboxSize()).toBe(1);
      },
    );

    it('dead-letters a message whose handler keeps failing and replays it, outside any transaction, after the fix', async () => {
      let fixed = false;
      let runs = 0;
      const handle: OwnHandler = async (delivered) => {
        runs += 1;
        if (!fixed) {
          throw new Error('payment provider refused the request');
        }
        expect(await openTransactions()).toBe(0);
        await applyEffectOnce(delivered);
      };
      const consumer = await startOwnConsumer(handle, { maxAttempts: 2 });
      const poison = event('order-1', 1);
      await broker.publish([toBrokerMessage(poison)]);

      await waitFor(() => consumer.counters.deadLettered === 1);
      expect(consumer.counters).toEqual({ handled: 0, duplicates: 0, failedAttempts: 2, deadLettered: 1 });
      expect(await listInboxDeadLetters(connection, SCHEMA, CONSUMER)).toMatchObject([
        { messageId: poison.id, error: 'payment provider refused the request', attempts: 2 },
      ]);
      expect(await inboxSize()).toBe(0);

      expect(await replayInboxDeadLetters(connection, ownDefinition(handle), runInTransaction)).toEqual({
        applied: 0,
        duplicates: 0,
        failed: 1,
      });
      expect(await listInboxDeadLetters(connection, SCHEMA)).toMatchObject([{ messageId: poison.id, attempts: 3 }]);

      fixed = true;
      // The record and the removal of the dead letter commit together, in a transaction, even
      // though the consumer records without one: removal failing, the record is rolled back too.
      const removalFails: RunInTransaction = (work) =>
        runInTransaction((tx) =>
          work({
            query: async <Row extends SqlRow>(sql: string, params?: unknown[]) => {
              if (sql.startsWith(`DELETE FROM "${SCHEMA}"."inbox_dead_letters"`)) {
                throw new Error('connection lost while removing the dead letter');
              }
              return tx.query<Row>(sql, params);
            },
          }),
        );
      expect(await replayInboxDeadLetters(connection, ownDefinition(handle), removalFails)).toEqual({
        applied: 0,
        duplicates: 0,
        failed: 1,
      });
      expect(await inboxSize()).toBe(0);
      expect(await listInboxDeadLetters(connection, SCHEMA)).toMatchObject([{ messageId: poison.id, attempts: 4 }]);

      expect(await replayInboxDeadLetters(connection, ownDefinition(handle), runInTransaction)).toEqual({
        applied: 1,
        duplicates: 0,
        failed: 0,
      });
      expect(await effects()).toEqual(['order-1#1']);
      expect(await listInboxDeadLetters(connection, SCHEMA)).toEqual([]);
      expect(await inboxSize()).toBe(1);

      // A dead letter of a message applied meanwhile: the replay only removes it, without running the handler.
      await queryDatabase(
        database.url,
        `INSERT INTO "${SCHEMA}"."inbox_dead_letters" (consumer, message_id, event, error, attempts)
         VALUES ($1, $2, $3::jsonb, 'timeout', 2)`,
        [CONSUMER, poison.id, JSON.stringify(poison)],
      );
      const runsBefore = runs;
      expect(await replayInboxDeadLetters(connection, ownDefinition(handle), runInTransaction)).toEqual({
        applied: 0,
        duplicates: 1,
        failed: 0,
      });
      expect(runs).toBe(runsBefore);
      expect(await listInboxDeadLetters(connection, SCHEMA)).toEqual([]);
    });
  });

  it('purges inbox rows older than the retention and keeps the rest', async () => {
    const consumer = await startConsumer(applyEffect);
    const events = [event('order-1', 1), event('order-2', 1), event('order-3', 1)];
    await broker.publish(events.map(toBrokerMessage));
    await waitFor(() => consumer.counters.handled === 3);
    await queryDatabase(
      database.url,
      `UPDATE "${SCHEMA}"."inbox" SET processed_at = now() - interval '8 days' WHERE message_id <> $1`,
      [events[2]!.id],
    );

    expect(await purgeInbox(connection, SCHEMA, 7 * 24 * 3600_000)).toBe(2);
    expect(
      await queryDatabase<{ consumer: string; message_id: string }>(
        database.url,
        `SELECT consumer, message_id FROM "${SCHEMA}"."inbox"`,
      ),
    ).toEqual([{ consumer: CONSUMER, message_id: events[2]!.id }]);
    expect(await purgeInbox(connection, SCHEMA, 7 * 24 * 3600_000)).toBe(0);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await sleep(20);
  }
}
