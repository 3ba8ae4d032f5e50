import { Inject, Injectable } from '@nestjs/common';
import { type CacheRegion, Caches } from '@platform/cache';
import type { Product } from '../../domain/product';
import { type ProductPage, type ProductPrice, ProductRepository } from '../../application/product-repository';
import type { ProductView } from '../../application/product.view';
import { PrismaProductRepository } from '../persistence/prisma-product.repository';

/**
 * The catalog's two read-heavy regions: a product by sku (GET /catalog/products/:sku) and a price
 * by sku (CatalogFacade.getPrices, on every order placement). Both are forgotten together when a
 * product changes, by the consumer of catalog's own `catalog.product-details-changed.v1`.
 */
@Injectable()
export class CatalogCache {
  readonly products: CacheRegion<ProductView>;
  readonly prices: CacheRegion<ProductPrice>;

  constructor(@Inject(Caches) caches: Caches) {
    this.products = caches.region<ProductView>('catalog.products');
    this.prices = caches.region<ProductPrice>('catalog.prices');
  }

  /** After a change of `sku` committed: every instance reads it from the database next. */
  async forget(sku: string): Promise<void> {
    await Promise.all([this.products.invalidate(sku), this.prices.invalidate(sku)]);
  }
}

/**
 * ProductRepository with its hot reads cache-aside (decorator over the Prisma repository): a
 * product and prices come from the cache, everything else (pages, skus, the aggregate for a
 * write) from the database. Writes never read the cache, so a change is always made to the
 * current row (and its version check still guards it).
 */
@Injectable()
export class CachedProductRepository extends ProductRepository {
  constructor(
    @Inject(PrismaProductRepository) private readonly database: PrismaProductRepository,
    @Inject(CatalogCache) private readonly cache: CatalogCache,
  ) {
    super();
  }

  async findView(sku: string): Promise<ProductView | null> {
    const view = await this.cache.products.get(sku, async () => (await this.database.findView(sku)) ?? undefined);
    return view ?? null;
  }

  async findPrices(skus: readonly string[]): Promise<ProductPrice[]> {
    const prices = await this.cache.prices.getMany(skus, async (missing) => {
      const found = await this.database.findPrices(missing);
      return new Map(found.map((price) => [price.sku, price]));
    });
    return [...prices.values()];
  }

  listViews(after: string | null, limit: number): Promise<ProductPage> {
    return this.database.listViews(after, limit);
  }

  listSkus(): Promise<string[]> {
    return this.database.listSkus();
  }

  load(sku: string): Promise<Product | null> {
    return this.database.load(sku);
  }

  saveChanged(product: Product, loadedVersion: number): Promise<boolean> {
    return this.database.saveChanged(product, loadedVersion);
  }
}
