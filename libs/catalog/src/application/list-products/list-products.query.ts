import { Query } from '@nestjs/cqrs';
import type { ProductPage } from '../product-repository';

export class ListProductsQuery extends Query<ProductPage> {
  constructor(
    readonly after: string | null,
    readonly limit: number,
  ) {
    super();
  }
}
