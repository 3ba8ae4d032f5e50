import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * The provider captured the order's total: the customer is charged. Subject: the order id.
 * Final: one capture per order, never together with a decline. Published when the order is
 * captured, and published again, with the same payload and a new event id, each time the command
 * is repeated (also after a refund): consumers treat a repeat as a duplicate of the first.
 */
export const PaymentCapturedV1 = defineEvent(
  'payments.payment-captured.v1',
  z.object({
    orderId: z.uuid(),
    /** The provider's id of the capture: the reference for a refund or a reconciliation. */
    captureId: z.string().min(1),
    amountMinor: z.int().positive(),
    currency: z.string().length(3),
  }),
);
