import { Query } from '@nestjs/cqrs';
import type { ProductPrice } from '../product-repository';

/** Current prices of the given skus; unknown skus are simply absent from the result. */
export class GetProductPricesQuery extends Query<ProductPrice[]> {
  constructor(readonly skus: readonly string[]) {
    super();
  }
}
