import { Injectable } from '@nestjs/common';
import type { IntegrationEvent } from '@platform/messaging';
import { outboxInsertParams, outboxInsertSql, recordingEvents } from '@platform/outbox';
import { CaptureRepository } from '../../application/ports';
import { Capture, CaptureStatus, type FailureReason } from '../../domain/capture';
import type { Capture as CaptureRow } from './generated/client';
import { InjectPaymentsTransactionHost, type PaymentsTransactionHost } from './payments-transactions';

/**
 * The outcome and its events in one statement: atomic on its own, one round trip (a unit of work
 * would add BEGIN and COMMIT around two statements). The guard makes it write nothing, events
 * included, when another handler changed the capture since it was loaded.
 */
const SAVE_OUTCOME = `
WITH saved AS (
  UPDATE "payments"."captures"
  SET status = $2, capture_id = $3, decline_reason = $4, failure_reason = $5, last_error = $6, version = $7,
      updated_at = now(), decided_at = CASE WHEN $8::boolean THEN now() END
  WHERE order_id = $1::uuid AND version = $9 AND status IN ('${CaptureStatus.Pending}', '${CaptureStatus.Failed}')
  RETURNING 1
), messages AS (${outboxInsertSql('payments', 10, 'EXISTS (SELECT 1 FROM saved)')})
SELECT count(*)::int AS saved FROM saved`;

/** Reads and writes through the transaction in async context, or the plain client outside one. */
@Injectable()
export class PrismaCaptureRepository extends CaptureRepository {
  constructor(@InjectPaymentsTransactionHost() private readonly host: PaymentsTransactionHost) {
    super();
  }

  private get prisma() {
    return this.host.tx;
  }

  async addIfAbsent(capture: Capture): Promise<boolean> {
    const { orderId, idempotencyKey, customerId, amountMinor, currency, status, attempts, version } =
      capture.snapshot();
    // skipDuplicates: INSERT ... ON CONFLICT DO NOTHING. A concurrent insert of the same order waits
    // for the first to end, then does nothing.
    const { count } = await this.prisma.capture.createMany({
      data: [
        { orderId, idempotencyKey, customerId, amountMinor: BigInt(amountMinor), currency, status, attempts, version },
      ],
      skipDuplicates: true,
    });
    return count === 1;
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

  async saveOutcome(capture: Capture, loadedVersion: number, events: readonly IntegrationEvent[]): Promise<boolean> {
    const { orderId, status, captureId, declineReason, failureReason, lastError, version } = capture.snapshot();
    const [row] = await recordingEvents('payments', events, () =>
      this.prisma.$queryRawUnsafe<{ saved: number }[]>(
        SAVE_OUTCOME,
        orderId,
        status,
        captureId,
        declineReason,
        failureReason,
        lastError,
        version,
        capture.isFinal,
        loadedVersion,
        ...outboxInsertParams(events),
      ),
    );
    return row?.saved === 1;
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
