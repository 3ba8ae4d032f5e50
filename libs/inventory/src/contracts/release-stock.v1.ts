import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * Command: give back what an order holds (the saga's compensation). Subject: the order id.
 * Idempotent per order in its effects: the stock comes back at most once, and releasing a
 * released or rejected reservation changes no stock. A release that arrives before its reserve
 * leaves the order released, so the reserve, when it comes, holds nothing. Inventory answers
 * every release, a repeat and the release of a rejected reservation included, with
 * `inventory.stock-released.v1`.
 */
export const ReleaseStockV1 = defineEvent('inventory.release-stock.v1', z.object({ orderId: z.uuid() }));
