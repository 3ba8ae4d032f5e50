import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * Nothing of an order is held: `skus` are the lines that could not be served, either short of
 * stock (`OUT_OF_STOCK`) or not stocked at all (`UNKNOWN_SKU`). Subject: the order id. Recorded
 * when the order is rejected, and recorded again (a new event id, the same payload) when the
 * reserve-stock command is repeated; consumers treat a repeat as a duplicate. The decision is
 * final: an order is either reserved or rejected, never both.
 */
export const StockReservationRejectedV1 = defineEvent(
  'inventory.stock-reservation-rejected.v1',
  z.object({
    orderId: z.uuid(),
    reason: z.enum(['OUT_OF_STOCK', 'UNKNOWN_SKU']),
    skus: z.array(z.string()).min(1),
  }),
);
