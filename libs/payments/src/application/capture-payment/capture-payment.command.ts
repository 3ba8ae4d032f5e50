import { Command } from '@nestjs/cqrs';
import type { CaptureOutcome } from '../capture.outcome';

/**
 * Capture an order's total at the payment provider. Idempotent per order: a captured or declined
 * order gets its outcome back with no call, and its outcome event is published again; a failed one
 * is tried again with the same idempotency key.
 */
export class CapturePaymentCommand extends Command<CaptureOutcome> {
  constructor(
    readonly orderId: string,
    readonly customerId: string,
    readonly amountMinor: number,
    readonly currency: string,
  ) {
    super();
  }
}
