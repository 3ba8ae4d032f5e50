import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * The provider refunded the order's captured payment in full: the customer is charged nothing,
 * net. Subject: the order id. Final: one refund per order. Published when the refund is made, and
 * published again, with the same payload and a new event id, each time the command is repeated:
 * consumers treat a repeat as a duplicate of the first.
 */
export const PaymentRefundedV1 = defineEvent(
  'payments.payment-refunded.v1',
  z.object({
    orderId: z.uuid(),
    /** The provider's id of the refund. */
    refundId: z.string().min(1),
    /** The whole captured amount. */
    amountMinor: z.int().positive(),
    currency: z.string().length(3),
  }),
);
