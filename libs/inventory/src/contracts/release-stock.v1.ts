import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * Command: give back what an order holds (the saga's compensation). Subject: the order id.
 * Idempotent: releasing a released or rejected reservation does nothing. A release that arrives
 * before its reserve leaves the order released, so the reserve, when it comes, holds nothing.
 * Inventory answers with `inventory.stock-released.v1` when the release changed something.
 */
export const ReleaseStockV1 = defineEvent('inventory.release-stock.v1', z.object({ orderId: z.uuid() }));
