import { Inject, Injectable } from '@nestjs/common';
import { activeTransactionSql, prismaSql, type SqlExecutor } from '@platform/database';
import { outboxInsertParams, outboxInsertSql, recordingEvents } from '@platform/outbox';
import { FulfilmentSettings } from '../../application/fulfilment/fulfilment-settings';
import type { FulfilmentView } from '../../application/fulfilment/fulfilment.view';
import { FulfilmentReadModel, FulfilmentSagaRepository, type SagaChange } from '../../application/ports';
import { OrderPlacedV1 } from '../../contracts/order-placed.v1';
import type { CancellationReason } from '../../domain/fulfilment/cancellation-reason';
import {
  FulfilmentSaga,
  type FulfilmentHistoryEntry,
  type FulfilmentState,
  type FulfilmentStep,
  type OrderToFulfil,
  type RefundStatus,
} from '../../domain/fulfilment/fulfilment-saga';
import { InjectOrderingTransactionHost, type OrderingTransactionHost } from './ordering-transactions';

// A type, not an interface: a row type must be assignable to SqlRow's index signature.
type SagaRow = {
  order_id: string;
  step: FulfilmentStep;
  cancellation_reason: CancellationReason | null;
  order_terms: Omit<OrderToFulfil, 'orderId'>;
  deadline_at: Date | null;
  wake_at: Date | null;
  attempts: number;
  late_capture_id: string | null;
  refund_status: RefundStatus | null;
  history: FulfilmentHistoryEntry[];
  started_at: Date;
  updated_at: Date;
};

const SAGA = '"ordering"."fulfilment_sagas"';

/** The sagas' columns from the order id to the history, one array each ($1 to $9 of START and SAVE). */
const stateArrays = (states: readonly FulfilmentState[]): unknown[] => {
  const time = (date: Date | null) => date?.toISOString() ?? null;
  return [
    states.map((s) => s.order.orderId),
    states.map((s) => s.step),
    states.map((s) => s.cancellationReason),
    states.map((s) => time(s.deadlineAt)),
    states.map((s) => time(s.wakeAt)),
    states.map((s) => s.attempts),
    states.map((s) => s.lateCaptureId),
    states.map((s) => s.refundStatus),
    states.map((s) => JSON.stringify(s.history)),
  ];
};

/** The arrays of stateArrays ($1 to $9) and two more of the statement's, as rows. */
const stateRows = (more: string) =>
  `unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[], $7::text[], $8::text[],
          $9::jsonb[], ${more})`;

/*
 * Each write is one statement for all the sagas at hand (one, or a batch of the inbox): the sagas,
 * their messages in ordering's outbox and (for those decided) the orders' final status. One round
 * trip per batch, atomic with the inbox records of the replies that caused it (same transaction).
 */
const START = `
WITH saga AS (
  INSERT INTO ${SAGA} (order_id, step, cancellation_reason, deadline_at, wake_at, attempts, late_capture_id,
                       refund_status, history, order_terms, started_at, updated_at)
  SELECT s.*, s.started_at
  FROM ${stateRows('$10::jsonb[], $11::timestamptz[]')}
    AS s(order_id, step, cancellation_reason, deadline_at, wake_at, attempts, late_capture_id, refund_status, history,
         order_terms, started_at)
  ON CONFLICT (order_id) DO NOTHING
  RETURNING order_id
), messages AS (${outboxInsertSql('ordering', 12, 'e.subject::uuid IN (SELECT order_id FROM saga)')})
SELECT count(*)::int AS started FROM saga`;

const SAVE = `
WITH changed AS (
  SELECT * FROM ${stateRows('$10::text[], $11::text[]')}
    AS c(order_id, step, cancellation_reason, deadline_at, wake_at, attempts, late_capture_id, refund_status, history,
         final_status, final_reason)
), saga AS (
  UPDATE ${SAGA} AS s
  SET step = c.step, cancellation_reason = c.cancellation_reason, deadline_at = c.deadline_at, wake_at = c.wake_at,
      attempts = c.attempts, late_capture_id = c.late_capture_id, refund_status = c.refund_status,
      history = c.history, updated_at = now()
  FROM changed AS c
  WHERE s.order_id = c.order_id
  RETURNING 1
), finished AS (
  -- A final order never changes: the guard on PENDING makes a second decision update nothing.
  UPDATE "ordering"."orders" AS o
  SET status = c.final_status, cancellation_reason = c.final_reason, version = o.version + 1,
      updated_at = now()
  FROM changed AS c
  WHERE o.id = c.order_id AND c.final_status IS NOT NULL AND o.status = 'PENDING'
  RETURNING 1
), messages AS (${outboxInsertSql('ordering', 12)})
SELECT (SELECT count(*) FROM saga)::int AS saved, (SELECT count(*) FROM finished)::int AS finished`;

const COLUMNS = `order_id::text AS order_id, step, cancellation_reason, order_terms, deadline_at, wake_at, attempts,
  late_capture_id, refund_status, history, started_at, updated_at`;

@Injectable()
export class SqlFulfilmentSagaRepository extends FulfilmentSagaRepository {
  constructor(
    @InjectOrderingTransactionHost() private readonly host: OrderingTransactionHost,
    @Inject(FulfilmentSettings) private readonly settings: FulfilmentSettings,
  ) {
    super();
  }

  async startAll(started: readonly SagaChange[]): Promise<void> {
    const messages = started.flatMap((change) => change.messages);
    const states = started.map((change) => change.saga.snapshot());
    await recordingEvents('ordering', messages, () =>
      this.transaction().query(START, [
        ...stateArrays(states),
        states.map(({ order: { orderId: _orderId, ...terms } }) => JSON.stringify(terms)),
        states.map(({ history }) => history[0]?.at ?? new Date().toISOString()),
        ...outboxInsertParams(messages),
      ]),
    );
  }

  async lockAll(orderIds: readonly string[]): Promise<FulfilmentSaga[]> {
    const rows = await this.transaction().query<SagaRow>(
      `SELECT ${COLUMNS} FROM ${SAGA} WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE`,
      [orderIds],
    );
    return rows.map((row) => this.restore(row));
  }

  async lockIfDue(orderId: string, now: Date): Promise<FulfilmentSaga | null> {
    const [row] = await this.transaction().query<SagaRow>(
      `SELECT ${COLUMNS} FROM ${SAGA} WHERE order_id = $1::uuid AND wake_at <= $2::timestamptz FOR UPDATE SKIP LOCKED`,
      [orderId, now],
    );
    return row ? this.restore(row) : null;
  }

  async saveAll(changes: readonly SagaChange[]): Promise<void> {
    const messages = changes.flatMap((change) => change.messages);
    const [row] = await recordingEvents('ordering', messages, () =>
      this.transaction().query<{ saved: number; finished: number }>(SAVE, [
        ...stateArrays(changes.map((change) => change.saga.snapshot())),
        changes.map(({ outcome }) => outcome?.status ?? null),
        changes.map(({ outcome }) => (outcome?.status === 'CANCELLED' ? outcome.reason : null)),
        ...outboxInsertParams(messages),
      ]),
    );
    if (row?.saved !== changes.length) {
      throw new Error(`${changes.length - (row?.saved ?? 0)} fulfilment saga(s) were not found when saving them`);
    }
    const decided = changes.filter((change) => change.outcome).length;
    if (row.finished !== decided) {
      throw new Error(`${decided - row.finished} order(s) were no longer PENDING when their saga decided`);
    }
  }

  async awaitsRelay(orderId: string, type: string): Promise<boolean> {
    // Delivered less than a re-send interval ago counts as awaited too: its reply is on its way
    // (recorded in the other module's outbox, not yet relayed), and a copy would only repeat it.
    const deliveredAfter = new Date(Date.now() - this.settings.timeouts.resendAfterMs);
    const [row] = await this.transaction().query<{ waiting: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM "ordering"."outbox" WHERE subject = $1 AND event_type = $2
           AND (status = 'PENDING' OR published_at > $3::timestamptz)
       ) AS waiting`,
      [orderId, type, deliveredAfter.toISOString()],
    );
    return row?.waiting === true;
  }

  async due(now: Date, limit: number): Promise<string[]> {
    const rows = await prismaSql(this.host.tx).query<{ order_id: string }>(
      `SELECT order_id::text AS order_id FROM ${SAGA} WHERE wake_at <= $1::timestamptz ORDER BY wake_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => row.order_id);
  }

  async withoutSaga(placedBefore: Date, limit: number): Promise<OrderToFulfil[]> {
    const rows = await prismaSql(this.host.tx).query<{
      order_id: string;
      customer_id: string;
      total_minor: string;
      currency: string;
      lines: { sku: string; quantity: number }[];
    }>(
      `SELECT o.id::text AS order_id, o.customer_id, o.total_minor::text AS total_minor, o.currency,
              (SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity) ORDER BY l.line_no)
               FROM "ordering"."order_lines" l WHERE l.order_id = o.id) AS lines
       FROM "ordering"."orders" o
       WHERE o.status = 'PENDING' AND o.created_at < $1::timestamptz
         AND NOT EXISTS (SELECT 1 FROM ${SAGA} s WHERE s.order_id = o.id)
         AND NOT EXISTS (
           SELECT 1 FROM "ordering"."outbox" e WHERE e.subject = o.id::text AND e.event_type = $3 AND e.status = 'PENDING'
         )
       ORDER BY o.created_at
       LIMIT $2`,
      [placedBefore, limit, OrderPlacedV1.type],
    );
    return rows.map((row) => ({
      orderId: row.order_id,
      customerId: row.customer_id,
      lines: row.lines,
      totalMinor: Number(row.total_minor),
      currency: row.currency,
    }));
  }

  private restore(row: SagaRow): FulfilmentSaga {
    return FulfilmentSaga.restore(
      {
        order: { orderId: row.order_id, ...row.order_terms },
        step: row.step,
        cancellationReason: row.cancellation_reason,
        deadlineAt: row.deadline_at && new Date(row.deadline_at),
        wakeAt: row.wake_at && new Date(row.wake_at),
        attempts: row.attempts,
        lateCaptureId: row.late_capture_id,
        refundStatus: row.refund_status,
        history: row.history,
      },
      this.settings.timeouts,
    );
  }

  private transaction(): SqlExecutor {
    const sql = activeTransactionSql(this.host);
    if (!sql) {
      throw new Error('Fulfilment sagas are read and written inside a transaction only');
    }
    return sql;
  }
}

@Injectable()
export class SqlFulfilmentReadModel extends FulfilmentReadModel {
  constructor(@InjectOrderingTransactionHost() private readonly host: OrderingTransactionHost) {
    super();
  }

  async findView(orderId: string): Promise<FulfilmentView | null> {
    const [row] = await prismaSql(this.host.tx).query<SagaRow>(
      `SELECT ${COLUMNS} FROM ${SAGA} WHERE order_id = $1::uuid`,
      [orderId],
    );
    if (!row) {
      return null;
    }
    return {
      orderId: row.order_id,
      step: row.step,
      ...(row.cancellation_reason ? { cancellationReason: row.cancellation_reason } : {}),
      ...(row.deadline_at ? { deadlineAt: new Date(row.deadline_at).toISOString() } : {}),
      ...(row.late_capture_id
        ? { lateCapture: { captureId: row.late_capture_id, refundStatus: row.refund_status ?? 'REQUESTED' } }
        : {}),
      startedAt: new Date(row.started_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      history: row.history,
    };
  }
}
