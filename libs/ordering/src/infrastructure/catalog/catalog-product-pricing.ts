import { Inject, Injectable } from '@nestjs/common';
import { CatalogFacade } from '@modulith/catalog';
import type { UnitPrice } from '../../domain/order';
import { ProductPricing } from '../../application/ports';

/** Ordering's view of the catalog, through the catalog's facade and nothing else. */
@Injectable()
export class CatalogProductPricing extends ProductPricing {
  constructor(@Inject(CatalogFacade) private readonly catalog: CatalogFacade) {
    super();
  }

  pricesOf(skus: readonly string[]): Promise<ReadonlyMap<string, UnitPrice>> {
    return this.catalog.getPrices(skus);
  }
}
