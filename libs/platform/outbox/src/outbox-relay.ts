import { context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type DatabaseConnection, sqlLiteral, type SqlRow } from '@platform/database';
import {
  type BrokerMessage,
  BrokerUnavailable,
  type IntegrationEvent,
  type MessageBroker,
  toBrokerMessage,
} from '@platform/messaging';
import { contextFromTraceparent, traceparentOf, tracer } from '@platform/observability';
import { retryDelayMs } from '@platform/resilience';
import { outboxTable } from './outbox-record';

export interface OutboxRelayOptions {
  /** The module schema whose `outbox` table this relay drains. */
  schema: string;
  /** Identifies this relay in leases (host and pid make a good one). */
  relayId: string;
  batchSize: number;
  /** How long a claimed batch belongs to this relay; after that, another relay may take it. */
  leaseMs: number;
  /** Failed publishes before a message is dead-lettered. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** How often to look for work when no NOTIFY arrives (retries coming due, missed notifications). */
  pollIntervalMs: number;
  /** Published rows are deleted after this long. */
  retentionMs: number;
  purgeIntervalMs: number;
}

export interface OutboxRelayLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RelayCounters {
  published: number;
  failedAttempts: number;
  deadLettered: number;
  purged: number;
  /** Batches held back because the broker was unavailable (not counted against the events). */
  brokerUnavailable: number;
}

interface ClaimedRow extends SqlRow {
  id: string;
  event_id: string;
  event_type: string;
  source: string;
  subject: string;
  occurred_at: Date | string;
  traceparent: string | null;
  payload: unknown;
  attempts: number;
}

/** The longest pause between probes of a broker that is down. */
const OUTAGE_PROBE_CAP_MS = 5_000;

/** When the earliest of the pending rows selected may be claimed, in ms from now (null: none). */
const DUE_IN_MS = `(extract(epoch FROM min(greatest(next_attempt_at, coalesce(leased_until, next_attempt_at))) - now()) * 1000)::float8`;

/** What one claim came to: how many events, and when the next is due if the marking said so. */
interface BatchOutcome {
  claimed: number;
  /** Milliseconds until the next pending event is due (null: none pending; undefined: not known). */
  dueInMs: number | null | undefined;
}

/**
 * Moves events from a module's outbox to the broker. Any number of relays can run over one
 * outbox; together they guarantee:
 *
 * - every committed event is published at least once (a crash before marking it published
 *   means it is published again once the lease ends; consumers deduplicate by event id);
 * - one subject's (aggregate's) events of one type are published in the order they were recorded:
 *   a relay only claims an event when no earlier event of the same subject and type is still
 *   pending elsewhere (leased by another relay, waiting for a retry, or not yet safely visible).
 *   That is the order a broker keeps (per key, within a topic; a topic per type): events of other
 *   types go on, so a command held up by its slow consumer does not hold up the next step;
 * - nothing is skipped because of commit order: an event is claimed only once every transaction
 *   older than it has ended (`txid < pg_snapshot_xmin`), so an event whose transaction commits
 *   late can never be overtaken by a later event of its subject;
 * - a message that keeps failing is retried with backoff and then dead-lettered, without
 *   holding up other subjects; a broker that is down (BrokerUnavailable) is waited for, with
 *   backoff, without spending the events' attempts, so an outage never dead-letters anything.
 */
export class OutboxRelay {
  readonly counters: RelayCounters = {
    published: 0,
    failedAttempts: 0,
    deadLettered: 0,
    purged: 0,
    brokerUnavailable: 0,
  };
  /** Consecutive batches the broker was unavailable for: the backoff of the next wait. */
  private outage = 0;
  /** Set when the broker is unavailable: the loop waits this long, whatever NOTIFYs arrive. */
  private pauseMs = 0;
  private readonly table: string;
  private running = false;
  private wakeUp: (() => void) | null = null;
  private pendingWake = false;
  private loop: Promise<void> | null = null;
  private stopListening: (() => Promise<void>) | null = null;
  private lastPurge = 0;

  constructor(
    private readonly database: DatabaseConnection,
    private readonly broker: MessageBroker,
    private readonly options: OutboxRelayOptions,
    private readonly logger: OutboxRelayLog,
  ) {
    this.table = outboxTable(options.schema);
    // The claim inlines these as literals (a script takes no parameters): integers only.
    for (const [name, value] of Object.entries({ batchSize: options.batchSize, leaseMs: options.leaseMs })) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new Error(`Outbox relay ${options.schema}: ${name} must be a positive integer, not ${value}`);
      }
    }
  }

  /** The NOTIFY channel the outbox's insert trigger signals. */
  static channel(schema: string): string {
    return `${schema}_outbox`;
  }

  /**
   * Claims one batch, publishes it and records the outcome. Returns how many events it claimed.
   * The loop calls it until there is nothing left; tests call it to step through.
   */
  async runOnce(): Promise<number> {
    return (await this.claimAndPublish()).claimed;
  }

  /**
   * Starts draining: now, on every NOTIFY from the outbox, and every pollIntervalMs. Relays of one
   * outbox in one process can share a listener (each LISTEN holds a connection): start them with
   * `{ listen: false }` and pass the notifications on with `wake()`.
   */
  async start({ listen = true }: { listen?: boolean } = {}): Promise<void> {
    if (this.running) {
      return;
    }
    this.running = true;
    if (listen) {
      this.stopListening = await this.database.listen(OutboxRelay.channel(this.options.schema), () => this.wake());
    }
    this.loop = this.drain();
  }

  /** Stops after the batch in flight; its events are marked before this resolves. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.stopListening?.();
    this.loop = null;
    this.stopListening = null;
  }

  /** Whether it is waiting for work (not publishing a batch): the one to wake first. */
  get idle(): boolean {
    return this.wakeUp !== null;
  }

  /** New events may be there (a NOTIFY): claims now, unless the broker is down and the relay pauses. */
  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  private async drain(): Promise<void> {
    let heldBackDelayMs = 0;
    while (this.running) {
      let idleMs = this.options.pollIntervalMs;
      try {
        this.pendingWake = false;
        // A full batch means there may be more; a short one took everything claimable, and what
        // arrives meanwhile sets pendingWake (its NOTIFY), so no empty claim is spent to find out.
        // A batch given back because the broker is down ends the run too: the pause comes first.
        let batch: BatchOutcome = { claimed: 0, dueInMs: undefined };
        while (
          this.running &&
          (batch = await this.claimAndPublish()).claimed >= this.options.batchSize &&
          this.pauseMs === 0
        ) {
          // keep going while batches come back full
        }
        // Pending work that could not be claimed waits for a retry, a lease, or a transaction
        // still open (the visibility horizon): its NOTIFY has come and gone, so look again when
        // it is due, backing off while it is due but held back, and at the latest at the poll.
        // Marking a batch published says when that is; after an empty claim or a failure, ask.
        const dueInMs = batch.dueInMs === undefined ? await this.nextDueInMs() : batch.dueInMs;
        heldBackDelayMs = dueInMs === 0 ? Math.min(Math.max(5, heldBackDelayMs * 2), idleMs) : 0;
        idleMs = dueInMs === null ? idleMs : Math.min(idleMs, dueInMs || heldBackDelayMs);
        await this.purgeIfDue();
      } catch (error) {
        this.logger.error(`Outbox relay ${this.options.schema}: ${(error as Error).message}`);
      }
      const paused = this.pauseMs > 0;
      if (paused) {
        idleMs = this.pauseMs;
        this.pauseMs = 0;
      }
      if (this.running && (paused || !this.pendingWake)) {
        await new Promise<void>((resume) => {
          const timer = setTimeout(resume, idleMs);
          this.wakeUp = () => {
            // During an outage only stop() cuts the pause short: a NOTIFY per new event would
            // otherwise make every placement a publish attempt against a broker that is down.
            if (!paused || !this.running) {
              clearTimeout(timer);
              resume();
            }
          };
        });
        this.wakeUp = null;
      }
    }
  }

  /** Milliseconds until the next pending event may be claimed (0: now), or null when none is pending. */
  private async nextDueInMs(): Promise<number | null> {
    const [row] = await this.database.withSession((session) =>
      session.query<{ due_in_ms: number | null }>(
        `SELECT ${DUE_IN_MS} AS due_in_ms FROM ${this.table} WHERE status = 'PENDING'`,
      ),
    );
    return dueInMs(row);
  }

  private async claimAndPublish(): Promise<BatchOutcome> {
    const claimed = await this.claim();
    return { claimed: claimed.length, dueInMs: claimed.length > 0 ? await this.publish(claimed) : undefined };
  }

  /**
   * The lock and the claim, in one round trip: a script of two statements, which PostgreSQL runs as
   * one implicit transaction (the lock is held until the claim commits), each statement with its own
   * snapshot. So the claim takes its snapshot, and with it the horizon, only once it holds the lock,
   * as when they were two statements of an explicit transaction (4 round trips with BEGIN and
   * COMMIT). A script takes no parameters: the batch size and the lease were checked to be integers,
   * the schema name by outboxTable, and the relay id is quoted.
   */
  private claim(): Promise<ClaimedRow[]> {
    const t = this.table;
    const { schema, batchSize, leaseMs, relayId } = this.options;
    return this.database.withSession((session) =>
      session.queryScript<ClaimedRow>(
        // Claims are serialised per outbox (a few milliseconds each): two relays deciding at the
        // same time could otherwise both take events of one subject.
        // The claim must walk the pending index in id order and stop at the batch: planned from the
        // statistics of an outbox that was empty when last analyzed (a new deployment, a quiet night),
        // PostgreSQL would rather check every pending row of a sudden backlog, then sort (1.2 s for
        // 20,000 rows instead of 3 ms). These settings last until the claim commits.
        `SET LOCAL enable_bitmapscan = off;
         SET LOCAL enable_sort = off;
         SELECT pg_advisory_xact_lock(hashtext(${sqlLiteral(`outbox-claim:${schema}`)}));
         WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
         candidates AS (
           SELECT c.id FROM ${t} c, horizon
           WHERE c.status = 'PENDING'
             AND c.next_attempt_at <= now()
             AND (c.leased_until IS NULL OR c.leased_until <= now())
             AND c.txid < horizon.xmin
             AND NOT EXISTS (
               SELECT 1 FROM ${t} e
               WHERE e.subject = c.subject AND e.event_type = c.event_type AND e.status = 'PENDING' AND e.id < c.id
                 AND (e.leased_until > now() OR e.next_attempt_at > now() OR e.txid >= horizon.xmin)
             )
           ORDER BY c.id
           LIMIT ${batchSize}
           FOR UPDATE OF c SKIP LOCKED
         )
         UPDATE ${t} o
         SET leased_until = now() + make_interval(secs => ${leaseMs} / 1000.0), leased_by = ${sqlLiteral(relayId)}
         FROM candidates
         WHERE o.id = candidates.id
         RETURNING o.id::text AS id, o.event_id::text AS event_id, o.event_type, o.source, o.subject,
                   o.occurred_at, o.traceparent, o.payload, o.attempts`,
      ),
    );
  }

  /**
   * Publishes a claimed batch; resolves to when the next event is due if the batch went out whole.
   * Each event gets a PRODUCER span (`send <type>`), child of the context it was recorded in (the
   * traceparent stored in its row), and travels with that span's traceparent: its consumers
   * continue the trace of the request or message that recorded it.
   */
  private async publish(rows: ClaimedRow[]): Promise<number | null | undefined> {
    const ordered = [...rows].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const sends = new Map(ordered.map((row) => [row.id, this.startSend(row)]));
    try {
      return await this.publishInOrder(ordered, sends);
    } finally {
      for (const { span } of sends.values()) span.end();
    }
  }

  private async publishInOrder(
    ordered: ClaimedRow[],
    sends: Map<string, { span: Span; message: BrokerMessage }>,
  ): Promise<number | null | undefined> {
    const messageOf = (row: ClaimedRow) => sends.get(row.id)!.message;
    const failed = (held: ClaimedRow[], reason: string) => {
      for (const row of held) sends.get(row.id)!.span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    };
    // A transport's own instrumentation (kafkajs) parents its spans on the active context: the
    // event's send span when it goes alone; a batch mixes traces, so its spans start their own.
    const only = ordered.length === 1 ? sends.get(ordered[0]!.id)!.span : undefined;
    try {
      await context.with(only ? trace.setSpan(ROOT_CONTEXT, only) : ROOT_CONTEXT, () =>
        this.broker.publish(ordered.map(messageOf)),
      );
      // After a full batch the relay claims again at once: when the next event is due is not asked.
      const dueInMs = await this.markPublished(
        ordered.map((row) => row.id),
        ordered.length < this.options.batchSize,
      );
      this.outage = 0;
      return dueInMs;
    } catch (error) {
      if (error instanceof BrokerUnavailable) {
        failed(ordered, `broker unavailable: ${error.message}`);
        await this.holdForOutage(ordered, error);
        return undefined;
      }
      this.logger.warn(
        `Outbox relay ${this.options.schema}: a batch of ${ordered.length} failed (${(error as Error).message}); publishing one by one`,
      );
    }
    // One by one, to find the messages that fail; a subject's events of a type stop at their first
    // failure so that the later ones are not published before it.
    const failedSubjects = new Set<string>();
    const stream = (row: ClaimedRow) => `${row.event_type}/${row.subject}`;
    for (const [index, row] of ordered.entries()) {
      if (failedSubjects.has(stream(row))) {
        failed([row], 'held back behind a failed event of its subject');
        await this.release(row.id);
        continue;
      }
      try {
        await context.with(trace.setSpan(ROOT_CONTEXT, sends.get(row.id)!.span), () =>
          this.broker.publish([messageOf(row)]),
        );
        await this.markPublished([row.id]);
      } catch (error) {
        if (error instanceof BrokerUnavailable) {
          failed(ordered.slice(index), `broker unavailable: ${error.message}`);
          await this.holdForOutage(ordered.slice(index), error);
          return undefined;
        }
        failed([row], (error as Error).message);
        failedSubjects.add(stream(row));
        await this.recordFailure(row, error as Error);
      }
    }
    return undefined;
  }

  /** The event's PRODUCER span, and its message, carrying that span's traceparent. */
  private startSend(row: ClaimedRow): { span: Span; message: BrokerMessage } {
    const span = tracer().startSpan(
      `send ${row.event_type}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': this.broker.name,
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'send',
          'messaging.destination.name': row.event_type,
          'messaging.message.id': row.event_id,
          'outbox.schema': this.options.schema,
          'outbox.attempt': row.attempts + 1,
        },
      },
      contextFromTraceparent(row.traceparent),
    );
    const event = toEvent(row);
    const traceparent = traceparentOf(span);
    return { span, message: toBrokerMessage(traceparent ? { ...event, traceparent } : event) };
  }

  /**
   * Gives the rows back as they were (still due, attempts untouched) and pauses this relay for a
   * backoff that grows while the outage lasts, up to OUTAGE_PROBE_CAP_MS: the next claim is the
   * probe, and once the broker answers everything goes out at once, in order.
   */
  private async holdForOutage(rows: ClaimedRow[], error: BrokerUnavailable): Promise<void> {
    this.outage += 1;
    this.counters.brokerUnavailable += 1;
    if (this.outage === 1) {
      this.logger.warn(`Outbox relay ${this.options.schema}: broker unavailable (${error.message}); waiting for it`);
    }
    this.pauseMs = Math.max(1, retryDelayMs(this.outage, this.options.backoffBaseMs, OUTAGE_PROBE_CAP_MS));
    await this.database.withSession((session) =>
      session.query(
        `UPDATE ${this.table} SET leased_until = NULL, leased_by = NULL, last_error = left($3, 2000)
         WHERE id = ANY($1::bigint[]) AND leased_by = $2`,
        [rows.map((row) => row.id), this.options.relayId, error.message],
      ),
    );
  }

  /**
   * Marks the rows published and, in the same statement (one round trip), says when the next pending
   * event is due. Only rows still leased by this relay are marked: if the lease ran out meanwhile,
   * another relay owns them. The SELECT shares the UPDATE's snapshot, taken before the update, so it
   * would still see the rows being marked as pending, leased for a while: it leaves them out itself.
   */
  private async markPublished(ids: string[], askNextDue = true): Promise<number | null | undefined> {
    if (!askNextDue) {
      await this.database.withSession((session) =>
        session.query(
          `UPDATE ${this.table}
           SET status = 'PUBLISHED', published_at = now(), leased_until = NULL, leased_by = NULL
           WHERE id = ANY($1::bigint[]) AND leased_by = $2 AND status = 'PENDING'`,
          [ids, this.options.relayId],
        ),
      );
      this.counters.published += ids.length;
      return undefined;
    }
    const [row] = await this.database.withSession((session) =>
      session.query<{ due_in_ms: number | null }>(
        `WITH marked AS (
           UPDATE ${this.table}
           SET status = 'PUBLISHED', published_at = now(), leased_until = NULL, leased_by = NULL
           WHERE id = ANY($1::bigint[]) AND leased_by = $2 AND status = 'PENDING'
         )
         SELECT ${DUE_IN_MS} AS due_in_ms FROM ${this.table}
         WHERE status = 'PENDING' AND NOT (leased_by IS NOT DISTINCT FROM $2 AND id = ANY($1::bigint[]))`,
        [ids, this.options.relayId],
      ),
    );
    this.counters.published += ids.length;
    return dueInMs(row);
  }

  private async release(id: string): Promise<void> {
    await this.database.withSession((session) =>
      session.query(`UPDATE ${this.table} SET leased_until = NULL, leased_by = NULL WHERE id = $1 AND leased_by = $2`, [
        id,
        this.options.relayId,
      ]),
    );
  }

  private async recordFailure(row: ClaimedRow, error: Error): Promise<void> {
    const attempts = row.attempts + 1;
    const dead = attempts >= this.options.maxAttempts;
    const delayMs = retryDelayMs(attempts, this.options.backoffBaseMs, this.options.backoffCapMs);
    await this.database.withSession((session) =>
      session.query(
        `UPDATE ${this.table}
         SET attempts = $2, last_error = left($3, 2000), status = $4,
             next_attempt_at = now() + make_interval(secs => $5::double precision / 1000),
             leased_until = NULL, leased_by = NULL
         WHERE id = $1 AND leased_by = $6`,
        [row.id, attempts, error.message, dead ? 'DEAD' : 'PENDING', delayMs, this.options.relayId],
      ),
    );
    this.counters.failedAttempts += 1;
    if (dead) {
      this.counters.deadLettered += 1;
      this.logger.error(
        `Outbox ${this.options.schema}: event ${row.event_id} (${row.event_type}) dead-lettered after ${attempts} attempts: ${error.message}`,
      );
    }
  }

  private async purgeIfDue(): Promise<void> {
    if (Date.now() - this.lastPurge < this.options.purgeIntervalMs) {
      return;
    }
    this.lastPurge = Date.now();
    this.counters.purged += await purgePublished(this.database, this.options.schema, this.options.retentionMs);
  }
}

/** Deletes published events older than the retention, in chunks that keep locks short. */
export async function purgePublished(
  database: DatabaseConnection,
  schema: string,
  retentionMs: number,
): Promise<number> {
  const table = outboxTable(schema);
  let total = 0;
  for (;;) {
    const deleted = await database.withSession((session) =>
      session.query<{ n: number }>(
        `WITH old AS (
           SELECT id FROM ${table}
           WHERE status = 'PUBLISHED' AND published_at < now() - make_interval(secs => $1::double precision / 1000)
           LIMIT 5000
         ), gone AS (DELETE FROM ${table} o USING old WHERE o.id = old.id RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [retentionMs],
      ),
    );
    const n = deleted[0]?.n ?? 0;
    total += n;
    if (n < 5000) {
      return total;
    }
  }
}

function dueInMs(row: { due_in_ms: number | null } | undefined): number | null {
  return row?.due_in_ms === null || row?.due_in_ms === undefined ? null : Math.max(0, Math.ceil(row.due_in_ms));
}

function toEvent(row: ClaimedRow): IntegrationEvent {
  return {
    specversion: '1.0',
    id: row.event_id,
    source: row.source,
    type: row.event_type,
    subject: row.subject,
    time: new Date(row.occurred_at).toISOString(),
    datacontenttype: 'application/json',
    ...(row.traceparent ? { traceparent: row.traceparent } : {}),
    data: row.payload,
  };
}
