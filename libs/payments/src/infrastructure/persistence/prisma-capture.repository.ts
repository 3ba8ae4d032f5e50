import { Injectable } from '@nestjs/common';
import { CaptureRepository } from '../../application/ports';
import { Capture, CaptureStatus, type FailureReason } from '../../domain/capture';
import type { Capture as CaptureRow } from './generated/client';
import { InjectPaymentsTransactionHost, type PaymentsTransactionHost } from './payments-transactions';

/** Reads and writes through the transaction in async context, or the plain client outside one. */
@Injectable()
export class PrismaCaptureRepository extends CaptureRepository {
  constructor(@InjectPaymentsTransactionHost() private readonly host: PaymentsTransactionHost) {
    super();
  }

  private get prisma() {
    return this.host.tx;
  }

  async addIfAbsent(capture: Capture): Promise<void> {
    const { orderId, idempotencyKey, customerId, amountMinor, currency, status, attempts, version } =
      capture.snapshot();
    // skipDuplicates: INSERT ... ON CONFLICT DO NOTHING. A concurrent insert of the same order waits
    // for the first to end, then does nothing.
    await this.prisma.capture.createMany({
      data: [
        { orderId, idempotencyKey, customerId, amountMinor: BigInt(amountMinor), currency, status, attempts, version },
      ],
      skipDuplicates: true,
    });
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

  async saveOutcome(capture: Capture, loadedVersion: number): Promise<boolean> {
    const { orderId, status, captureId, declineReason, failureReason, lastError, version } = capture.snapshot();
    const now = new Date();
    const { count } = await this.prisma.capture.updateMany({
      where: { orderId, version: loadedVersion, status: { in: [CaptureStatus.Pending, CaptureStatus.Failed] } },
      data: {
        status,
        captureId,
        declineReason,
        failureReason,
        lastError,
        version,
        updatedAt: now,
        decidedAt: capture.isFinal ? now : null,
      },
    });
    return count === 1;
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
