import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * The order will not be fulfilled; whatever was held for it is released. Subject: the order id.
 * Final, and recorded once per order (the outbox delivers it at least once). `reason`:
 * OUT_OF_STOCK, PAYMENT_DECLINED, PAYMENT_FAILED, PAYMENT_TIMEOUT or RESERVATION_TIMEOUT; new
 * reasons may be added, so consumers must accept ones they do not know.
 */
export const OrderCancelledV1 = defineEvent(
  'ordering.order-cancelled.v1',
  z.object({ orderId: z.uuid(), reason: z.string().min(1).max(64), cancelledAt: z.iso.datetime() }),
);
