import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * Command: hold stock for an order, all lines or none. Subject: the order id. Sent by the
 * fulfilment saga (ordering) through its outbox; inventory answers with
 * `inventory.stock-reserved.v1` or `inventory.stock-reservation-rejected.v1`. Idempotent per
 * order in its effects: the first decision holds, and the stock moves at most once. Answered
 * every time: a repeat (the saga re-sends when it got no answer in time) records the order's
 * current state again, `stock-reserved`, `stock-reservation-rejected`, or `stock-released` once
 * the order was released, with the first decision's lines whatever lines the repeat carries.
 */
export const ReserveStockV1 = defineEvent(
  'inventory.reserve-stock.v1',
  z.object({
    orderId: z.uuid(),
    lines: z
      .array(z.object({ sku: z.string().min(1).max(64), quantity: z.int().min(1).max(1_000_000) }))
      .min(1)
      .refine((lines) => new Set(lines.map((line) => line.sku)).size === lines.length, {
        message: 'each sku may appear on one line only',
      }),
  }),
);
