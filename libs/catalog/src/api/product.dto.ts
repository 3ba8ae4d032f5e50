import { z } from 'zod';
import { MAX_PRODUCT_NAME_LENGTH } from '../domain/rules/product-name-must-not-be-blank.rule';
import { MAX_PRICE_MINOR } from '../domain/rules/product-price-must-be-within-limits.rule';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** Cursors are opaque to clients: the position they encode may change without notice. */
export const encodeCursor = (after: string): string => Buffer.from(JSON.stringify({ after })).toString('base64url');

const cursor = z
  .string()
  .max(512)
  .transform((value, context) => {
    try {
      const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      if (decoded && typeof decoded === 'object' && typeof (decoded as { after?: unknown }).after === 'string') {
        return (decoded as { after: string }).after;
      }
    } catch {
      // fall through to the issue below
    }
    context.addIssue({ code: 'custom', message: 'is not a cursor returned by this API' });
    return z.NEVER;
  });

export const ListProductsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: cursor.optional(),
});

export const SkuParams = z.strictObject({ sku: z.string().min(1) });

export const ChangeProductDetailsRequest = z
  .strictObject({
    name: z.string().trim().min(1).max(MAX_PRODUCT_NAME_LENGTH).optional(),
    description: z.string().max(2000).optional(),
    priceMinor: z.int().min(0).max(MAX_PRICE_MINOR).optional(),
  })
  .refine((change) => Object.keys(change).length > 0, { message: 'give at least one of name, description, priceMinor' })
  .meta({ description: 'The details to change; fields left out stay as they are.' });

export const ProductResponse = z
  .object({
    sku: z.string(),
    name: z.string(),
    description: z.string(),
    priceMinor: z.int().meta({ description: 'Price in minor units of the currency (cents for EUR)' }),
    currency: z.string().meta({ description: 'ISO 4217 code' }),
  })
  .meta({ title: 'Product' });

export const ProductPageResponse = z.object({
  items: z.array(ProductResponse),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
});
