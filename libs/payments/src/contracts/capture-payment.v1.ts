import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * Command: capture an order's total at the payment provider. Subject: the order id. Sent by the
 * fulfilment saga (ordering) through its outbox; payments answers with
 * `payments.payment-captured.v1`, `payments.payment-declined.v1` or `payments.payment-failed.v1`.
 * Idempotent per order: a repeat of a captured or declined order is answered from the first
 * decision, with no new charge, by publishing its event again (a sender that got no answer, say
 * after a lost message, repeats the command and gets one); a repeat of a failed one tries the
 * provider again with the same idempotency key. Every command of one order carries the same
 * customer, amount and currency.
 */
export const CapturePaymentV1 = defineEvent(
  'payments.capture-payment.v1',
  z.object({
    orderId: z.uuid(),
    customerId: z.string().min(1).max(255),
    amountMinor: z.int().positive(),
    currency: z.string().regex(/^[A-Z]{3}$/),
  }),
);
