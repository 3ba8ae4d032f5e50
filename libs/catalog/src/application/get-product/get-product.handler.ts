import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ResourceNotFound } from '@platform/ddd';
import { ProductRepository } from '../product-repository';
import type { ProductView } from '../product.view';
import { GetProductQuery } from './get-product.query';

@QueryHandler(GetProductQuery)
export class GetProductHandler implements IQueryHandler<GetProductQuery> {
  constructor(@Inject(ProductRepository) private readonly products: ProductRepository) {}

  async execute({ sku }: GetProductQuery): Promise<ProductView> {
    const product = await this.products.findView(sku);
    if (!product) {
      throw new ResourceNotFound('Product', sku);
    }
    return product;
  }
}
