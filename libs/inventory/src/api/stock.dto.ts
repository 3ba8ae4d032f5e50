import { z } from 'zod';

export const SkuParams = z.strictObject({ sku: z.string().min(1) });

export const StockResponse = z
  .object({
    sku: z.string(),
    available: z.int().nonnegative().meta({ description: 'Units that can still be reserved' }),
    reserved: z.int().nonnegative().meta({ description: 'Units held for orders' }),
  })
  .meta({ title: 'Stock' });
