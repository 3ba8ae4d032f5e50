import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ProductRepository } from '../product-repository';
import { ListSkusQuery } from './list-skus.query';

@QueryHandler(ListSkusQuery)
export class ListSkusHandler implements IQueryHandler<ListSkusQuery> {
  constructor(@Inject(ProductRepository) private readonly products: ProductRepository) {}

  execute(): Promise<string[]> {
    return this.products.listSkus();
  }
}
