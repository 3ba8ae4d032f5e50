import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * An operator changed a product's name, description or price. Subject: the sku. Carries the
 * product as it is after the change and its version, so that readers (caches, other modules'
 * copies) can ignore an older version arriving late.
 */
export const ProductDetailsChangedV1 = defineEvent(
  'catalog.product-details-changed.v1',
  z.object({
    sku: z.string(),
    name: z.string(),
    description: z.string(),
    priceMinor: z.int().nonnegative(),
    currency: z.string().length(3),
    version: z.int().positive(),
  }),
);

/** The CloudEvents `source` of every event catalog publishes. */
export const CATALOG_EVENT_SOURCE = '/modules/catalog';
