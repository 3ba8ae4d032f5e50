/** Units in stock for every sku of the sample catalog, unless listed in SCARCE_SAMPLE_STOCK. */
export const DEFAULT_SAMPLE_STOCK = 100;

/**
 * Skus kept scarce on purpose, so that the demo and the quick start can run out of stock:
 * a few orders of matcha, one of geisha coffee, and never the gift card of 50.
 */
export const SCARCE_SAMPLE_STOCK: Readonly<Record<string, number>> = {
  'TEA-MATCHA-30G': 3,
  'COF-GEISHA-100G': 1,
  'GFT-CARD-50': 0,
};

export const sampleStockOf = (sku: string): number => SCARCE_SAMPLE_STOCK[sku] ?? DEFAULT_SAMPLE_STOCK;
