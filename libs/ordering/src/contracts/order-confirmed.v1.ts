import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * The order's stock is held and its total captured: it will be shipped. Subject: the order id.
 * Final, and recorded once per order (the outbox delivers it at least once).
 */
export const OrderConfirmedV1 = defineEvent(
  'ordering.order-confirmed.v1',
  z.object({ orderId: z.uuid(), confirmedAt: z.iso.datetime() }),
);
