import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * The provider captured the order's total: the customer is charged. Subject: the order id.
 * Final: published once per order, at most, and never together with a decline.
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
