import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * The refund was not made this time. Subject: the order id. `GATEWAY_UNAVAILABLE`: no answer
 * after the client's retries (down, too slow, breaker open); `retryable`, and a later
 * `payments.refund-payment.v1` for the order asks again with the same idempotency key, so it never
 * refunds twice. `REQUEST_REFUSED`: the refund was refused, by the provider (a bug or a contract
 * change) or by payments itself because the order has no CAPTURED payment to refund (none, not
 * decided yet, failed or declined: nothing was charged); not `retryable`. Not final: each failed
 * attempt publishes one, and a refund may follow.
 */
export const RefundFailedV1 = defineEvent(
  'payments.refund-failed.v1',
  z.object({
    orderId: z.uuid(),
    reason: z.enum(['GATEWAY_UNAVAILABLE', 'REQUEST_REFUSED']),
    retryable: z.boolean(),
  }),
);
