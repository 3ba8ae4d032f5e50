import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * Every line of an order is held. Subject: the order id. Recorded when the order is reserved, and
 * recorded again (a new event id, the same payload) when the reserve-stock command is repeated
 * while the order is still reserved; consumers treat a repeat as a duplicate. The stock is held
 * once, however often this is published (the outbox delivers each event at least once, too).
 */
export const StockReservedV1 = defineEvent(
  'inventory.stock-reserved.v1',
  z.object({
    orderId: z.uuid(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.int().positive() })).min(1),
  }),
);
