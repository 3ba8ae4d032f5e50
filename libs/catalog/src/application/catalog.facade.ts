import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GetProductPricesQuery } from './get-product-prices/get-product-prices.query';
import { ListSkusQuery } from './list-skus/list-skus.query';
import type { ProductPrice } from './product-repository';

/**
 * The catalog as other modules may use it, synchronously and in-process. This class and the types
 * it returns are all that catalog exports; everything else in the module is private to it.
 */
@Injectable()
export class CatalogFacade {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  /** Current prices by sku. Unknown skus are absent from the map. */
  async getPrices(skus: readonly string[]): Promise<ReadonlyMap<string, ProductPrice>> {
    const prices = await this.queries.execute(new GetProductPricesQuery(skus));
    return new Map(prices.map((price) => [price.sku, price]));
  }

  /** Every sku of the catalog, in sku order (inventory stocks them). */
  listSkus(): Promise<string[]> {
    return this.queries.execute(new ListSkusQuery());
  }
}
