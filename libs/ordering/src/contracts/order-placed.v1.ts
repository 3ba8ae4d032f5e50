import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * An order was placed (status PENDING) at the catalog's prices of that moment. Subject: the order
 * id. Published by ordering; the fulfilment saga (inventory, payments) starts from it.
 */
export const OrderPlacedV1 = defineEvent(
  'ordering.order-placed.v1',
  z.object({
    orderId: z.uuid(),
    customerId: z.string(),
    lines: z
      .array(z.object({ sku: z.string(), quantity: z.int().positive(), unitPriceMinor: z.int().nonnegative() }))
      .min(1),
    totalMinor: z.int().nonnegative(),
    currency: z.string().length(3),
    placedAt: z.iso.datetime(),
  }),
);

/** The CloudEvents `source` of every event ordering publishes. */
export const ORDERING_EVENT_SOURCE = '/modules/ordering';
