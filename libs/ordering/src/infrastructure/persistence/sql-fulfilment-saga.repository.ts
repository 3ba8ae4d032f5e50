import { Inject, Injectable } from '@nestjs/common';
import { activeTransactionSql, prismaSql, type SqlExecutor } from '@platform/database';
import type { IntegrationEvent } from '@platform/messaging';
import { outboxInsertParams, outboxInsertSql, recordingEvents } from '@platform/outbox';
import { FulfilmentSettings } from '../../application/fulfilment/fulfilment-settings';
import type { FulfilmentView } from '../../application/fulfilment/fulfilment.view';
import { FulfilmentReadModel, FulfilmentSagaRepository } from '../../application/ports';
import { OrderPlacedV1 } from '../../contracts/order-placed.v1';
import type { CancellationReason } from '../../domain/fulfilment/cancellation-reason';
import {
  FulfilmentSaga,
  type FulfilmentHistoryEntry,
  type FulfilmentStep,
  type OrderOutcome,
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

/** The saga's columns from $2 on, in this order (with the order id as $1). */
const stateParams = (saga: FulfilmentSaga): unknown[] => {
  const s = saga.snapshot();
  return [
    s.step,
    s.cancellationReason,
    s.deadlineAt,
    s.wakeAt,
    s.attempts,
    s.lateCaptureId,
    s.refundStatus,
    JSON.stringify(s.history),
  ];
};

/*
 * Each write is one statement: the saga, its messages in ordering's outbox and (when the saga has
 * decided) the order's final status. One round trip per step, atomic with the inbox record of the
 * reply that caused it (same transaction).
 */
const START = `
WITH saga AS (
  INSERT INTO ${SAGA} (order_id, step, cancellation_reason, deadline_at, wake_at, attempts, late_capture_id,
                       refund_status, history, order_terms, started_at, updated_at)
  VALUES ($1::uuid, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $11)
  ON CONFLICT (order_id) DO NOTHING
  RETURNING 1
), messages AS (${outboxInsertSql('ordering', 12, 'EXISTS (SELECT 1 FROM saga)')})
SELECT count(*)::int AS started FROM saga`;

const SAVE = `
WITH saga AS (
  UPDATE ${SAGA}
  SET step = $2, cancellation_reason = $3, deadline_at = $4::timestamptz, wake_at = $5::timestamptz, attempts = $6,
      late_capture_id = $7, refund_status = $8, history = $9::jsonb, updated_at = now()
  WHERE order_id = $1::uuid
  RETURNING 1
), finished AS (
  -- A final order never changes: the guard on PENDING makes a second decision update nothing.
  UPDATE "ordering"."orders"
  SET status = $10::text, cancellation_reason = $11::text, version = version + 1, updated_at = now()
  WHERE id = $1::uuid AND $10::text IS NOT NULL AND status = 'PENDING'
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

  async start(saga: FulfilmentSaga, messages: readonly IntegrationEvent[]): Promise<boolean> {
    const { order, history } = saga.snapshot();
    const { orderId, ...terms } = order;
    const [row] = await recordingEvents('ordering', messages, () =>
      this.transaction().query<{ started: number }>(START, [
        orderId,
        ...stateParams(saga),
        JSON.stringify(terms),
        new Date(history[0]?.at ?? Date.now()),
        ...outboxInsertParams(messages),
      ]),
    );
    return row?.started === 1;
  }

  async lock(orderId: string): Promise<FulfilmentSaga | null> {
    const [row] = await this.transaction().query<SagaRow>(
      `SELECT ${COLUMNS} FROM ${SAGA} WHERE order_id = $1::uuid FOR UPDATE`,
      [orderId],
    );
    return row ? this.restore(row) : null;
  }

  async lockIfDue(orderId: string, now: Date): Promise<FulfilmentSaga | null> {
    const [row] = await this.transaction().query<SagaRow>(
      `SELECT ${COLUMNS} FROM ${SAGA} WHERE order_id = $1::uuid AND wake_at <= $2::timestamptz FOR UPDATE SKIP LOCKED`,
      [orderId, now],
    );
    return row ? this.restore(row) : null;
  }

  async save(saga: FulfilmentSaga, messages: readonly IntegrationEvent[], outcome: OrderOutcome | null): Promise<void> {
    const [row] = await recordingEvents('ordering', messages, () =>
      this.transaction().query<{ saved: number; finished: number }>(SAVE, [
        saga.orderId,
        ...stateParams(saga),
        outcome?.status ?? null,
        outcome?.status === 'CANCELLED' ? outcome.reason : null,
        ...outboxInsertParams(messages),
      ]),
    );
    if (row?.saved !== 1) {
      throw new Error(`The fulfilment saga of order ${saga.orderId} was not found when saving it`);
    }
    if (outcome && row.finished !== 1) {
      throw new Error(`Order ${saga.orderId} was no longer PENDING when its saga decided ${outcome.status}`);
    }
  }

  async awaitsRelay(orderId: string, type: string): Promise<boolean> {
    const [row] = await this.transaction().query<{ waiting: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM "ordering"."outbox" WHERE subject = $1 AND event_type = $2 AND status = 'PENDING'
       ) AS waiting`,
      [orderId, type],
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
