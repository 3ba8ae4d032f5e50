import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * Every line of an order is held. Subject: the order id. Recorded once per order at most (the
 * outbox delivers it at least once).
 */
export const StockReservedV1 = defineEvent(
  'inventory.stock-reserved.v1',
  z.object({
    orderId: z.uuid(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.int().positive() })).min(1),
  }),
);
