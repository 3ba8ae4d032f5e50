import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * The provider answered and refused to capture (the card was declined, the amount is over its
 * limit): nothing is charged, and asking again will not change the answer. Subject: the order id.
 * Final: one decline per order, never together with a capture. Published when the provider
 * declines, and published again, with the same payload and a new event id, each time the command
 * is repeated: consumers treat a repeat as a duplicate of the first. `reason` is the provider's
 * code, such as `CARD_DECLINED` or `AMOUNT_LIMIT_EXCEEDED`.
 */
export const PaymentDeclinedV1 = defineEvent(
  'payments.payment-declined.v1',
  z.object({
    orderId: z.uuid(),
    reason: z.string().min(1).max(200),
  }),
);
