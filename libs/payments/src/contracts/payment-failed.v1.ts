import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * The capture has no outcome: not a decline, the provider did not decide. Subject: the order id.
 * `GATEWAY_UNAVAILABLE`: no answer after the client's retries (down, too slow, breaker open);
 * `retryable`, and a later `payments.capture-payment.v1` for the order asks again with the same
 * idempotency key, so it never charges twice. `REQUEST_REFUSED`: the provider rejected the request
 * itself (a bug or a contract change); not `retryable` until someone fixes the cause. Not final:
 * each failed attempt publishes one, and a capture or a decline may follow.
 */
export const PaymentFailedV1 = defineEvent(
  'payments.payment-failed.v1',
  z.object({
    orderId: z.uuid(),
    reason: z.enum(['GATEWAY_UNAVAILABLE', 'REQUEST_REFUSED']),
    retryable: z.boolean(),
  }),
);
