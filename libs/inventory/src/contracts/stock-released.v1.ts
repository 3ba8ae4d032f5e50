import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * What an order held is back in stock, or, when the release came before any reserve, the order is
 * marked released so that nothing will be held for it. Subject: the order id. Recorded once per
 * order at most; never for a release of a rejected reservation, which held nothing.
 */
export const StockReleasedV1 = defineEvent('inventory.stock-released.v1', z.object({ orderId: z.uuid() }));
