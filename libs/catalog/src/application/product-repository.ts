import type { Product } from '../domain/product';
import type { ProductView } from './product.view';

export interface ProductPage {
  items: ProductView[];
  /** The sku to continue after, or null on the last page. */
  nextAfter: string | null;
}

export interface ProductPrice {
  sku: string;
  priceMinor: number;
  currency: string;
}

/** The catalog's storage port. Reads return views; writes take the aggregate. */
export abstract class ProductRepository {
  abstract findView(sku: string): Promise<ProductView | null>;
  abstract listViews(after: string | null, limit: number): Promise<ProductPage>;
  abstract findPrices(skus: readonly string[]): Promise<ProductPrice[]>;
  /** Every sku, in sku order. */
  abstract listSkus(): Promise<string[]>;
  abstract load(sku: string): Promise<Product | null>;
  /** Saves a changed product if nobody saved it since it was loaded; false when somebody did. */
  abstract saveChanged(product: Product, loadedVersion: number): Promise<boolean>;
}
