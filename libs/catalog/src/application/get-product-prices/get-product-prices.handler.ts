import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { type ProductPrice, ProductRepository } from '../product-repository';
import { GetProductPricesQuery } from './get-product-prices.query';

@QueryHandler(GetProductPricesQuery)
export class GetProductPricesHandler implements IQueryHandler<GetProductPricesQuery> {
  constructor(@Inject(ProductRepository) private readonly products: ProductRepository) {}

  execute({ skus }: GetProductPricesQuery): Promise<ProductPrice[]> {
    return skus.length === 0 ? Promise.resolve([]) : this.products.findPrices([...new Set(skus)]);
  }
}
