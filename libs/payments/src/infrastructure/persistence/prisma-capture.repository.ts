import { Injectable } from '@nestjs/common';
import { Coalescer } from '@platform/database';
import type { IntegrationEvent } from '@platform/messaging';
import { outboxInsertParams, outboxInsertSql, recordingEvents } from '@platform/outbox';
import { CaptureRepository } from '../../application/ports';
import { Capture, CaptureStatus, type FailureReason } from '../../domain/capture';
import type { Capture as CaptureRow } from './generated/client';
import { InjectPaymentsTransactionHost, type PaymentsTransactionHost } from './payments-transactions';

/**
 * New captures, PENDING with their first attempt, in one statement for the commands at hand. `ON
 * CONFLICT DO NOTHING` (on the order or its idempotency key): a concurrent insert of the same order
 * waits for the first to end, then does nothing, and its order is not returned.
 */
const ADD_ALL = `
INSERT INTO "payments"."captures" (order_id, idempotency_key, customer_id, amount_minor, currency, status, attempts,
                                   version)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::int[], $8::int[])
ON CONFLICT DO NOTHING
RETURNING order_id::text AS order_id`;

/**
 * Outcomes and their events in one statement for the captures at hand: atomic on its own, one
 * round trip (a unit of work would add BEGIN and COMMIT around two statements). The guard makes it
 * write nothing for a capture another handler changed since it was loaded, its events included:
 * an event is recorded only when the capture of its subject (the order) was saved.
 */
const SAVE_OUTCOMES = `
WITH outcome AS (
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::boolean[],
                       $9::int[])
    AS o(order_id, status, capture_id, decline_reason, failure_reason, last_error, version, final, loaded_version)
), saved AS (
  UPDATE "payments"."captures" AS c
  SET status = o.status, capture_id = o.capture_id, decline_reason = o.decline_reason,
      failure_reason = o.failure_reason, last_error = o.last_error, version = o.version, updated_at = now(),
      decided_at = CASE WHEN o.final THEN now() END
  FROM outcome AS o
  WHERE c.order_id = o.order_id AND c.version = o.loaded_version
    AND c.status IN ('${CaptureStatus.Pending}', '${CaptureStatus.Failed}')
  RETURNING c.order_id
), messages AS (${outboxInsertSql('payments', 10, 'e.subject::uuid IN (SELECT order_id FROM saved)')})
SELECT order_id::text AS order_id FROM saved`;

/** At most this many captures share a statement. */
const MAX_SHARED = 32;

interface OutcomeWrite {
  capture: Capture;
  loadedVersion: number;
  events: readonly IntegrationEvent[];
}

/** Reads and writes through the transaction in async context, or the plain client outside one. */
@Injectable()
export class PrismaCaptureRepository extends CaptureRepository {
  constructor(@InjectPaymentsTransactionHost() private readonly host: PaymentsTransactionHost) {
    super();
  }

  private get prisma() {
    return this.host.tx;
  }

  /*
   * The payments consumer takes several commands at once, and each writes outside any transaction
   * (its provider call sits between its two writes): the writes of the captures at hand share one
   * statement (a capture inside a unit of work writes alone, in it).
   */
  private readonly additions = new Coalescer<Capture, Settled<boolean>>(
    (captures) =>
      inRounds(
        captures,
        (capture) => capture.orderId,
        (round) => this.addAll(round),
      ),
    MAX_SHARED,
  );
  private readonly outcomes = new Coalescer<OutcomeWrite, Settled<boolean>>(
    (writes) =>
      inRounds(
        writes,
        (write) => write.capture.orderId,
        (round) => this.saveOutcomes(round),
      ),
    MAX_SHARED,
  );

  addIfAbsent(capture: Capture): Promise<boolean> {
    return this.host.isTransactionActive()
      ? this.addAll([capture]).then(([added]) => added!)
      : this.additions.submit(capture).then(unwrap);
  }

  private async addAll(captures: readonly Capture[]): Promise<boolean[]> {
    const states = captures.map((capture) => capture.snapshot());
    const rows = await this.prisma.$queryRawUnsafe<{ order_id: string }[]>(
      ADD_ALL,
      states.map((state) => state.orderId),
      states.map((state) => state.idempotencyKey),
      states.map((state) => state.customerId),
      states.map((state) => String(state.amountMinor)),
      states.map((state) => state.currency),
      states.map((state) => state.status),
      states.map((state) => state.attempts),
      states.map((state) => state.version),
    );
    const added = new Set(rows.map((row) => row.order_id));
    return states.map((state) => added.has(state.orderId.toLowerCase()));
  }

  async lock(orderId: string): Promise<Capture | null> {
    await this.prisma.$executeRaw`SELECT 1 FROM "payments"."captures" WHERE "order_id" = ${orderId}::uuid FOR UPDATE`;
    return this.find(orderId);
  }

  async find(orderId: string): Promise<Capture | null> {
    const row = await this.prisma.capture.findUnique({ where: { orderId } });
    return row ? restore(row) : null;
  }

  async saveAttempts(capture: Capture): Promise<void> {
    const { orderId, attempts } = capture.snapshot();
    await this.prisma.capture.update({ where: { orderId }, data: { attempts, updatedAt: new Date() } });
  }

  saveOutcome(capture: Capture, loadedVersion: number, events: readonly IntegrationEvent[]): Promise<boolean> {
    const write = { capture, loadedVersion, events };
    return this.host.isTransactionActive()
      ? this.saveOutcomes([write]).then(([saved]) => saved!)
      : this.outcomes.submit(write).then(unwrap);
  }

  private async saveOutcomes(writes: readonly OutcomeWrite[]): Promise<boolean[]> {
    const states = writes.map(({ capture }) => capture.snapshot());
    const events = writes.flatMap((write) => write.events);
    const rows = await recordingEvents('payments', events, () =>
      this.prisma.$queryRawUnsafe<{ order_id: string }[]>(
        SAVE_OUTCOMES,
        states.map((state) => state.orderId),
        states.map((state) => state.status),
        states.map((state) => state.captureId),
        states.map((state) => state.declineReason),
        states.map((state) => state.failureReason),
        states.map((state) => state.lastError),
        states.map((state) => state.version),
        writes.map(({ capture }) => capture.isFinal),
        writes.map((write) => write.loadedVersion),
        ...outboxInsertParams(events),
      ),
    );
    const saved = new Set(rows.map((row) => row.order_id));
    return states.map((state) => saved.has(state.orderId.toLowerCase()));
  }

  async saveRefundAttempts(capture: Capture): Promise<void> {
    const { orderId, refundAttempts } = capture.snapshot();
    await this.prisma.capture.update({ where: { orderId }, data: { refundAttempts, updatedAt: new Date() } });
  }

  async saveRefundOutcome(capture: Capture, loadedVersion: number): Promise<boolean> {
    const { orderId, status, refundId, refundLastError, version } = capture.snapshot();
    const now = new Date();
    const { count } = await this.prisma.capture.updateMany({
      where: { orderId, version: loadedVersion, status: CaptureStatus.Captured },
      data: {
        status,
        refundId,
        refundLastError,
        version,
        updatedAt: now,
        refundedAt: status === CaptureStatus.Refunded ? now : null,
      },
    });
    return count === 1;
  }
}

/** How one capture's share of a statement ended: each caller gets its own. */
type Settled<Result> = { result: Result } | { error: unknown };

function unwrap<Result>(settled: Settled<Result>): Result {
  if ('error' in settled) {
    throw settled.error;
  }
  return settled.result;
}

/**
 * Runs `write` over `items` in rounds in which no key appears twice, in their order (one statement
 * cannot insert or update one row twice), and gives each item its own outcome. When a round's
 * statement fails, its items are written again one by one, so that one bad capture fails alone
 * and not the others that shared its statement.
 */
async function inRounds<Item, Result>(
  items: readonly Item[],
  key: (item: Item) => string,
  write: (round: Item[]) => Promise<Result[]>,
): Promise<Settled<Result>[]> {
  const writeAlone = (item: Item): Promise<Settled<Result>> =>
    write([item]).then(
      ([result]) => ({ result: result! }),
      (error: unknown) => ({ error }),
    );
  const outcomes: Settled<Result>[] = new Array(items.length);
  let left = items.map((item, index) => ({ item, index }));
  while (left.length > 0) {
    const seen = new Set<string>();
    const round = left.filter(({ item }) => !seen.has(key(item)) && seen.add(key(item)));
    const written: Settled<Result>[] =
      round.length === 1
        ? [await writeAlone(round[0]!.item)]
        : await write(round.map(({ item }) => item)).then(
            (results) => results.map((result) => ({ result })),
            () => Promise.all(round.map(({ item }) => writeAlone(item))),
          );
    round.forEach(({ index }, position) => (outcomes[index] = written[position]!));
    left = left.filter((entry) => !round.includes(entry));
  }
  return outcomes;
}

function restore(row: CaptureRow): Capture {
  return Capture.restore({
    orderId: row.orderId,
    idempotencyKey: row.idempotencyKey,
    customerId: row.customerId,
    amountMinor: Number(row.amountMinor),
    currency: row.currency,
    status: row.status as CaptureStatus,
    captureId: row.captureId,
    declineReason: row.declineReason,
    failureReason: row.failureReason as FailureReason | null,
    attempts: row.attempts,
    lastError: row.lastError,
    version: row.version,
    refundId: row.refundId,
    refundAttempts: row.refundAttempts,
    refundLastError: row.refundLastError,
  });
}
