import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * Command: hold stock for an order, all lines or none. Subject: the order id. Sent by the
 * fulfilment saga (ordering) through its outbox; inventory answers with
 * `inventory.stock-reserved.v1` or `inventory.stock-reservation-rejected.v1`. Idempotent per
 * order: a repeat is answered from the first decision, and nothing is published again.
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
