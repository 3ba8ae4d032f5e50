import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * The order holds no stock and no later reserve will hold any: what it held is back in stock; or
 * the release came before any reserve and the order is marked released; or its reservation was
 * rejected and held nothing. Subject: the order id. The answer to every release-stock command, and
 * to a reserve-stock command for an order already released. Recorded again (a new event id, the
 * same payload) when a command is repeated; consumers treat a repeat as a duplicate. The stock
 * comes back once, however often this is published.
 */
export const StockReleasedV1 = defineEvent('inventory.stock-released.v1', z.object({ orderId: z.uuid() }));
