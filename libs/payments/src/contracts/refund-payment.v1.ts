import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * Command: refund in full the payment captured for an order. Subject: the order id. Sent by the
 * fulfilment saga (ordering) through its outbox when a capture succeeded for an order it had
 * already cancelled; payments answers with `payments.payment-refunded.v1` or
 * `payments.refund-failed.v1`. Idempotent per order: the provider is asked with an idempotency key
 * derived from the order, so the customer is refunded once however often the command comes; a
 * repeat for a refunded order is answered from the record, with no call, by publishing
 * `payments.payment-refunded.v1` again. An order whose payment is not CAPTURED (no capture, not
 * decided yet, failed, declined) has nothing to refund: the answer is `payments.refund-failed.v1`
 * with `REQUEST_REFUSED`, not retryable, and nothing changes.
 */
export const RefundPaymentV1 = defineEvent(
  'payments.refund-payment.v1',
  z.object({
    orderId: z.uuid(),
  }),
);
