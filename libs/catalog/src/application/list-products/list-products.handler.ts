import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { type ProductPage, ProductRepository } from '../product-repository';
import { ListProductsQuery } from './list-products.query';

@QueryHandler(ListProductsQuery)
export class ListProductsHandler implements IQueryHandler<ListProductsQuery> {
  constructor(@Inject(ProductRepository) private readonly products: ProductRepository) {}

  execute({ after, limit }: ListProductsQuery): Promise<ProductPage> {
    return this.products.listViews(after, limit);
  }
}
