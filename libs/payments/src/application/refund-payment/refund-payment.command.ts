import { Command } from '@nestjs/cqrs';
import type { RefundOutcome } from '../refund.outcome';

/**
 * Refund in full the payment captured for an order. Idempotent per order: a refunded order gets
 * its outcome back with no call, and its event is published again; a failed refund is tried again
 * with the same idempotency key. An order with no CAPTURED payment is refused (REQUEST_REFUSED),
 * with no call and nothing changed.
 */
export class RefundPaymentCommand extends Command<RefundOutcome> {
  constructor(readonly orderId: string) {
    super();
  }
}
