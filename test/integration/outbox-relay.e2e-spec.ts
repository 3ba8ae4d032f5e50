import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  applyMigrations,
  DatabaseConnection,
  EmbeddedConnection,
  IN_MEMORY,
  PostgresConnection,
  type SqlSession,
} from '@platform/database';
import {
  type BrokerMessage,
  BrokerUnavailable,
  createEvent,
  defineEvent,
  type DeliveredMessage,
  fromBrokerMessage,
  InProcessBroker,
  MessageBroker,
  type RunningConsumer,
} from '@platform/messaging';
import {
  listDeadLetters,
  outboxBacklog,
  OutboxRelay,
  type OutboxRelayOptions,
  purgePublished,
  recordInOutbox,
  replayDeadLetters,
} from '@platform/outbox';
import { z } from 'zod';
import { createTestDatabase, queryDatabase, type TestDatabase } from '../support/test-database';
import { sleep, waitFor } from '../support/wait-for';

const Happened = defineEvent(
  'ordering.something-happened.v1',
  z.object({ seq: z.int(), poison: z.boolean().optional() }),
);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

function relayOptions(overrides: Partial<OutboxRelayOptions> = {}): OutboxRelayOptions {
  return {
    schema: 'ordering',
    relayId: `relay-${Math.random().toString(36).slice(2, 8)}`,
    batchSize: 100,
    leaseMs: 30_000,
    maxAttempts: 3,
    backoffBaseMs: 1,
    backoffCapMs: 5,
    pollIntervalMs: 50,
    retentionMs: 7 * 24 * 3600_000,
    purgeIntervalMs: 3600_000,
    ...overrides,
  };
}

const event = (subject: string, seq: number, extra: { poison?: boolean } = {}) =>
  createEvent(Happened, subject, { seq, ...extra }, { source: '/modules/ordering' });

/** A broker that lets a test decide what fails, on top of the real in-process one. */
class ScriptedBroker extends MessageBroker {
  readonly name = 'scripted';
  rejectPoison = true;
  hangForever = false;
  unavailable = false;
  /** Random publish latency, so that concurrent relays interleave as they would over a network. */
  jitterMs = 0;

  constructor(readonly inner: InProcessBroker) {
    super();
  }
  ensureTopics(topics: readonly string[]) {
    return this.inner.ensureTopics(topics);
  }
  async publish(messages: readonly BrokerMessage[]): Promise<void> {
    if (this.jitterMs > 0) {
      await sleep(Math.random() * this.jitterMs);
    }
    if (this.unavailable) {
      throw new BrokerUnavailable('connection refused');
    }
    if (this.rejectPoison && messages.some((message) => message.value.includes('"poison":true'))) {
      throw new Error('message too large');
    }
    await this.inner.publish(messages);
    if (this.hangForever) {
      await new Promise(() => undefined);
    }
  }

  consume(options: Parameters<MessageBroker['consume']>[0]) {
    return this.inner.consume(options);
  }
  close() {
    return this.inner.close();
  }
}

/** The connection, counting the round trips made through it (BEGIN and COMMIT included). */
class CountingConnection extends DatabaseConnection {
  readonly kind: DatabaseConnection['kind'];
  roundTrips = 0;
  scripts: string[] = [];

  constructor(private readonly inner: DatabaseConnection) {
    super();
    this.kind = inner.kind;
  }
  prismaAdapter(schema: string) {
    return this.inner.prismaAdapter(schema);
  }
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.inner.withSession((session) => work(this.counted(session)));
  }
  withTransaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    this.roundTrips += 2;
    return this.inner.withTransaction((session) => work(this.counted(session)));
  }
  listen(channel: string, onNotify: () => void) {
    return this.inner.listen(channel, onNotify);
  }
  close() {
    return this.inner.close();
  }
  private counted(session: SqlSession): SqlSession {
    return {
      query: (sql, params) => {
        this.roundTrips += 1;
        return session.query(sql, params);
      },
      executeScript: (script) => {
        this.roundTrips += 1;
        return session.executeScript(script);
      },
      queryScript: (script) => {
        this.roundTrips += 1;
        this.scripts.push(script);
        return session.queryScript(script);
      },
    };
  }
}

describe('Outbox relay (PostgreSQL, in-process broker)', () => {
  let database: TestDatabase;
  let connection: DatabaseConnection;
  let broker: InProcessBroker;
  let consumer: RunningConsumer;
  let received: { seq: number; subject: string; id: string }[];

  beforeEach(async () => {
    database = await createTestDatabase();
    connection = PostgresConnection.open(database.url, 12, 'outbox-test');
    await applyMigrations(connection, path.resolve('prisma'), { log: () => undefined });
    broker = new InProcessBroker();
    received = [];
    consumer = await broker.consume({
      group: 'test',
      topics: [Happened.type],
      handler: async (message: DeliveredMessage) => {
        const delivered = fromBrokerMessage(message);
        received.push({ seq: (delivered.data as { seq: number }).seq, subject: delivered.subject, id: delivered.id });
      },
    });
  });

  afterEach(async () => {
    await consumer.stop();
    await connection.close();
    await database.drop();
  });

  const record = (...events: ReturnType<typeof event>[]) =>
    connection.withTransaction((session) => recordInOutbox(session, 'ordering', events));
  const statuses = async () =>
    (
      await queryDatabase<{ status: string; n: string }>(
        database.url,
        'SELECT status, count(*) AS n FROM ordering.outbox GROUP BY status',
      )
    ).reduce<Record<string, number>>((all, row) => ({ ...all, [row.status]: Number(row.n) }), {});

  it('publishes an event committed before any relay ran (a crash between commit and publish)', async () => {
    await record(event('order-1', 1));
    const relay = new OutboxRelay(connection, broker, relayOptions(), quiet);
    await drainUntil(relay, () => received.length === 1);
    expect(await statuses()).toEqual({ PUBLISHED: 1 });
  });

  it('claims a batch in one round trip and marks it in one more (a relay id with quotes and backslashes too)', async () => {
    await record(event('order-1', 1), event('order-2', 1), event('order-1', 2));
    const counting = new CountingConnection(connection);
    const relay = new OutboxRelay(counting, broker, relayOptions({ relayId: "host'\\x:42:ordering" }), quiet);

    // A writing transaction of a suite running in parallel can hold the horizon for a moment.
    let claimed = 0;
    await waitFor(async () => {
      counting.roundTrips = 0;
      counting.scripts = [];
      claimed = await relay.runOnce();
      return claimed > 0;
    });
    expect(claimed).toBe(3);
    // The advisory lock and the claim, as one script; then the mark, which also says what is due.
    expect(counting.roundTrips).toBe(2);
    expect(counting.scripts).toEqual([expect.stringContaining("leased_by = E'host''\\\\x:42:ordering'")]);
    await waitFor(() => received.length === 3);
    expect(await statuses()).toEqual({ PUBLISHED: 3 });

    expect(await relay.runOnce()).toBe(0);
    expect(counting.roundTrips).toBe(3);
    expect(() => new OutboxRelay(connection, broker, relayOptions({ batchSize: 2.5 }), quiet)).toThrow(
      'batchSize must be a positive integer',
    );
  });

  it('claims from a sudden backlog along the pending index in id order, whatever the statistics say', async () => {
    // 20,000 events in one transaction into an outbox last analyzed empty, or never: planned from
    // those statistics, the claim checked every pending row and sorted them (1.2 s instead of 3 ms).
    await connection.withSession((session) =>
      session.query(
        `INSERT INTO ordering.outbox (event_id, event_type, source, subject, occurred_at, payload)
         SELECT gen_random_uuid(), 'ordering.something-happened.v1', '/modules/ordering', 'order-' || (n % 64), now(),
                jsonb_build_object('seq', n)
         FROM generate_series(1, 20000) AS n`,
      ),
    );
    const counting = new CountingConnection(connection);
    const relay = new OutboxRelay(counting, broker, relayOptions({ batchSize: 200 }), quiet);
    await waitFor(async () => (await relay.runOnce()) > 0);
    // The script: the planner settings, the advisory lock, then the claim itself.
    const script = counting.scripts[0]!;
    const settings = script.slice(0, script.indexOf('SELECT pg_advisory_xact_lock'));
    const claim = script.slice(script.indexOf('WITH horizon'));
    const [{ plan } = { plan: '' }] = await connection.withSession(async (session) => {
      await session.query('BEGIN');
      try {
        await session.queryScript(settings);
        return await session
          .query<{ plan: string }>(`EXPLAIN (FORMAT JSON) ${claim}`)
          .then((rows) => rows.map((row) => ({ plan: JSON.stringify(row) })));
      } finally {
        await session.query('ROLLBACK');
      }
    });
    expect(plan).toContain('outbox_pending_idx');
    expect(plan).not.toContain('"Node Type":"Sort"');
    expect(plan).not.toContain('Bitmap Heap Scan');
  });

  it('after marking its last events, sleeps until a NOTIFY or its poll, not until the lease of the rows it marked', async () => {
    const counting = new CountingConnection(connection);
    const relay = new OutboxRelay(counting, broker, relayOptions({ pollIntervalMs: 600_000, leaseMs: 1_000 }), quiet);
    await relay.start();
    try {
      await sleep(200); // its first look, at an empty outbox, is over
      await record(event('order-1', 1));
      await waitFor(() => relay.counters.published === 1);
      const roundTrips = counting.roundTrips;
      await sleep(1_500); // past the lease the marked row had: nothing is due, nothing to look at
      expect(counting.roundTrips).toBe(roundTrips);
      await record(event('order-1', 2));
      await waitFor(() => relay.counters.published === 2);
    } finally {
      await relay.stop();
    }
    expect(received.map((r) => r.seq)).toEqual([1, 2]);
  });

  it('publishes nothing of a rolled-back transaction', async () => {
    await expect(
      connection.withTransaction(async (session) => {
        await recordInOutbox(session, 'ordering', [event('order-1', 1)]);
        throw new Error('business rule broken after the event was recorded');
      }),
    ).rejects.toThrow('business rule broken');
    expect(await new OutboxRelay(connection, broker, relayOptions(), quiet).runOnce()).toBe(0);
    expect(await statuses()).toEqual({});
  });

  it('does not let a later event overtake one whose transaction commits after it (commit order ≠ id order)', async () => {
    const slow = PostgresConnection.open(database.url, 1, 'slow-writer');
    const relay = new OutboxRelay(connection, broker, relayOptions(), quiet);
    try {
      let releaseSlow!: () => void;
      const slowCommitted = slow.withTransaction(async (session) => {
        await recordInOutbox(session, 'ordering', [event('order-1', 1)]); // lower id
        await new Promise<void>((resolve) => (releaseSlow = resolve));
      });
      await waitFor(
        async () =>
          Number(
            (
              await queryDatabase<{ n: string }>(
                database.url,
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'",
              )
            )[0]!.n,
          ) > 0,
      );
      await record(event('order-1', 2), event('order-2', 1)); // higher ids, committed first

      expect(await relay.runOnce()).toBe(0);

      releaseSlow();
      await slowCommitted;
      await drainUntil(relay, () => received.length === 3);
      expect(received.filter((r) => r.subject === 'order-1').map((r) => r.seq)).toEqual([1, 2]);
    } finally {
      await slow.close();
    }
  });

  it('lets 4 relays deliver 10,000 events of 500 aggregates, each once and in order per aggregate', async () => {
    // Subjects in a shuffled order, so that one subject's events sit close together, in the same
    // or neighbouring batches, where concurrent relays could overtake each other.
    const next = new Map<string, number>();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let chunk = 0; chunk < 10; chunk += 1) {
      const events = [];
      for (let i = 0; i < 1000; i += 1) {
        const subject = `order-${Math.floor(random() * 500)}`;
        const seq = next.get(subject) ?? 0;
        next.set(subject, seq + 1);
        events.push(event(subject, seq));
      }
      await record(...events);
    }
    const jittery = new ScriptedBroker(broker);
    jittery.jitterMs = 5;
    const relays = Array.from(
      { length: 4 },
      () => new OutboxRelay(connection, jittery, relayOptions({ batchSize: 50 }), quiet),
    );
    await Promise.all(relays.map((relay) => relay.start()));
    try {
      await waitFor(() => received.length >= 10_000, 60_000);
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
    }
    expect(received).toHaveLength(10_000);
    expect(new Set(received.map((r) => r.id)).size).toBe(10_000);
    const bySubject = new Map<string, number[]>();
    for (const r of received) {
      bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r.seq]);
    }
    expect(bySubject.size).toBe(next.size);
    for (const [subject, seqs] of bySubject) {
      expect(seqs).toEqual(Array.from({ length: next.get(subject)! }, (_, i) => i));
    }
    expect(relays.filter((relay) => relay.counters.published > 0).length).toBeGreaterThan(1);
    expect(await statuses()).toEqual({ PUBLISHED: 10_000 });
  }, 90_000);

  it('lets another relay deliver the batch of a relay that died holding its lease (delivered twice)', async () => {
    await record(event('order-1', 1), event('order-1', 2));
    const hanging = new ScriptedBroker(broker);
    hanging.hangForever = true; // accepts, then the relay "dies" before marking anything
    void drainUntil(new OutboxRelay(connection, hanging, relayOptions({ leaseMs: 300 }), quiet), () => false).catch(
      () => undefined,
    );
    await waitFor(() => received.length === 2);

    const survivor = new OutboxRelay(connection, broker, relayOptions({ leaseMs: 300 }), quiet);
    expect(await survivor.runOnce()).toBe(0); // still leased by the dead relay
    await sleep(350);
    await drainUntil(survivor, () => received.length === 4);
    expect(received.map((r) => r.seq)).toEqual([1, 2, 1, 2]);
    expect(await statuses()).toEqual({ PUBLISHED: 2 });
  });

  it('retries a poison message, dead-letters it, keeps the others flowing, and replays it', async () => {
    const scripted = new ScriptedBroker(broker);
    await record(event('order-1', 1), event('order-1', 2, { poison: true }), event('order-1', 3), event('order-2', 1));
    const relay = new OutboxRelay(connection, scripted, relayOptions({ maxAttempts: 3 }), quiet);
    await relay.start();
    try {
      await waitFor(async () => (await statuses()).DEAD === 1);
      await waitFor(() => received.length === 3);
      expect(received.map((r) => `${r.subject}#${r.seq}`).sort()).toEqual(['order-1#1', 'order-1#3', 'order-2#1']);
      expect(relay.counters).toMatchObject({ failedAttempts: 3, deadLettered: 1 });
      const [dead] = await listDeadLetters(connection, 'ordering');
      expect(dead).toMatchObject({
        eventType: Happened.type,
        subject: 'order-1',
        attempts: 3,
        lastError: 'message too large',
      });

      scripted.rejectPoison = false;
      expect(await replayDeadLetters(connection, 'ordering', [dead!.eventId])).toBe(1);
      await waitFor(() => received.length === 4);
      expect(received[3]).toMatchObject({ subject: 'order-1', seq: 2, id: dead!.eventId });
      // The broker has the message before the relay marks it published (its next statement).
      await waitFor(async () => (await statuses()).PUBLISHED === 4);
      expect(await statuses()).toEqual({ PUBLISHED: 4 });
    } finally {
      await relay.stop();
    }
  });

  it('waits out a broker outage without spending attempts, then publishes everything', async () => {
    const scripted = new ScriptedBroker(broker);
    scripted.unavailable = true;
    await record(event('order-1', 1), event('order-1', 2), event('order-2', 1));
    const relay = new OutboxRelay(connection, scripted, relayOptions({ maxAttempts: 2 }), quiet);
    await relay.start();
    try {
      await waitFor(() => relay.counters.brokerUnavailable >= 5);
      expect(await statuses()).toEqual({ PENDING: 3 });
      expect(await queryDatabase(database.url, 'SELECT DISTINCT attempts FROM ordering.outbox')).toEqual([
        { attempts: 0 },
      ]);
      scripted.unavailable = false;
      await waitFor(() => received.length === 3);
      expect(received.filter((r) => r.subject === 'order-1').map((r) => r.seq)).toEqual([1, 2]);
      expect(relay.counters).toMatchObject({ failedAttempts: 0, deadLettered: 0 });
    } finally {
      await relay.stop();
    }
  });

  it('pauses during an outage even with more than a batch waiting, instead of claiming again at once', async () => {
    const scripted = new ScriptedBroker(broker);
    scripted.unavailable = true;
    await record(...Array.from({ length: 5 }, (_, i) => event(`order-${i}`, 1)));
    const relay = new OutboxRelay(connection, scripted, relayOptions({ batchSize: 2, backoffBaseMs: 100 }), quiet);
    await relay.start();
    try {
      await sleep(500);
      // Pauses of up to 100, 200, 400 ms (full jitter): a handful of probes, not one per round trip.
      expect(relay.counters.brokerUnavailable).toBeLessThan(15);
      scripted.unavailable = false;
      await waitFor(() => received.length === 5);
    } finally {
      await relay.stop();
    }
  });

  it('holds back a subject’s later events while an earlier one waits for its retry', async () => {
    const scripted = new ScriptedBroker(broker);
    await record(event('order-1', 1, { poison: true }), event('order-1', 2));
    const relay = new OutboxRelay(
      connection,
      scripted,
      relayOptions({ maxAttempts: 10, backoffBaseMs: 60_000, backoffCapMs: 60_000 }),
      quiet,
    );
    await drainUntil(relay, () => relay.counters.failedAttempts === 1);
    await relay.runOnce();
    expect(relay.counters.failedAttempts).toBe(1);
    expect(received).toEqual([]);
    expect(await statuses()).toEqual({ PENDING: 2 });
  });

  it('wakes on NOTIFY rather than waiting for its poll', async () => {
    const relay = new OutboxRelay(connection, broker, relayOptions({ pollIntervalMs: 600_000 }), quiet);
    await relay.start();
    try {
      await sleep(100);
      await record(event('order-1', 1));
      await waitFor(() => received.length === 1, 5_000);
    } finally {
      await relay.stop();
    }
  });

  it('reports the backlog: pending events, the oldest one’s age, dead letters', async () => {
    expect(await outboxBacklog(connection, 'ordering')).toEqual({ pending: 0, oldestPendingAgeMs: 0, deadLetters: 0 });
    await record(event('order-1', 1), event('order-2', 1));
    await queryDatabase(database.url, "UPDATE ordering.outbox SET occurred_at = now() - interval '5 seconds'");
    const backlog = await outboxBacklog(connection, 'ordering');
    expect(backlog).toMatchObject({ pending: 2, deadLetters: 0 });
    expect(backlog.oldestPendingAgeMs).toBeGreaterThanOrEqual(5_000);
    await drainUntil(new OutboxRelay(connection, broker, relayOptions(), quiet), () => received.length === 2);
    expect(await outboxBacklog(connection, 'ordering')).toEqual({ pending: 0, oldestPendingAgeMs: 0, deadLetters: 0 });
  });

  it('lists and replays dead letters from the command line (npm run outbox)', async () => {
    await record(event('order-1', 1));
    await queryDatabase(database.url, "UPDATE ordering.outbox SET status = 'DEAD', attempts = 10, last_error = 'boom'");
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'scripts/outbox.ts', ...args], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url },
      });
    const listed = JSON.parse((await cli('list', 'ordering')).stdout);
    expect(listed.backlog).toMatchObject({ pending: 0, deadLetters: 1 });
    expect(listed.deadLetters).toEqual([
      expect.objectContaining({ subject: 'order-1', attempts: 10, lastError: 'boom' }),
    ]);
    expect((await cli('replay', 'ordering')).stdout).toContain('1 dead letters requeued in ordering.outbox');
    await drainUntil(new OutboxRelay(connection, broker, relayOptions(), quiet), () => received.length === 1);
    await expect(cli('drop', 'ordering')).rejects.toMatchObject({ stderr: expect.stringContaining('usage:') });
  });

  it('purges published events older than the retention and keeps the rest', async () => {
    await record(event('order-1', 1), event('order-2', 1), event('order-3', 1));
    await drainUntil(new OutboxRelay(connection, broker, relayOptions(), quiet), () => received.length === 3);
    await queryDatabase(
      database.url,
      "UPDATE ordering.outbox SET published_at = now() - interval '8 days' WHERE subject <> 'order-3'",
    );
    await record(event('order-4', 1));
    expect(await purgePublished(connection, 'ordering', 7 * 24 * 3600_000)).toBe(2);
    expect(await statuses()).toEqual({ PUBLISHED: 1, PENDING: 1 });
  });
});

/**
 * Steps a relay until `done`. An event becomes claimable only once every older writing transaction
 * in the whole PostgreSQL cluster has ended, so a suite running in parallel can delay it briefly.
 */
async function drainUntil(relay: OutboxRelay, done: () => boolean): Promise<void> {
  await waitFor(async () => {
    await relay.runOnce();
    return done();
  });
}

describe('Outbox relay (embedded PGlite)', () => {
  it('relays on the embedded database too, woken by its NOTIFY', async () => {
    const connection = await EmbeddedConnection.open(IN_MEMORY);
    const broker = new InProcessBroker();
    const received: string[] = [];
    const consumer = await broker.consume({
      group: 'embedded',
      topics: [Happened.type],
      handler: async (message) => {
        received.push(`${message.key}#${(fromBrokerMessage(message).data as { seq: number }).seq}`);
      },
    });
    const relay = new OutboxRelay(connection, broker, relayOptions({ pollIntervalMs: 600_000 }), quiet);
    try {
      await applyMigrations(connection, path.resolve('prisma'), { log: () => undefined });
      await relay.start();
      await connection.withTransaction((session) => recordInOutbox(session, 'ordering', [event('order-1', 1)]));
      await waitFor(() => received.length === 1, 5_000);
      expect(received).toEqual(['order-1#1']);
      // The claim's script (lock, then claim) runs through PGlite's exec, marking in one statement.
      await connection.withTransaction((session) =>
        recordInOutbox(session, 'ordering', [event('order-1', 2), event('order-2', 1)]),
      );
      await connection.withTransaction((session) => recordInOutbox(session, 'ordering', [event('order-1', 3)]));
      await waitFor(() => received.length === 4, 5_000);
      expect(received.filter((r) => r.startsWith('order-1'))).toEqual(['order-1#1', 'order-1#2', 'order-1#3']);
      expect(relay.counters.published).toBe(4);
    } finally {
      await relay.stop();
      await consumer.stop();
      await connection.close();
    }
    // PGlite compiles its WebAssembly and migrates in the test: CPU-bound, slow on a busy machine.
  }, 90_000);
});
