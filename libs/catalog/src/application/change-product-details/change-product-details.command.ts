import { Command } from '@nestjs/cqrs';
import type { ProductDetailsChange } from '../../domain/product';
import type { ProductView } from '../product.view';

export class ChangeProductDetailsCommand extends Command<ProductView> {
  constructor(
    readonly sku: string,
    readonly change: ProductDetailsChange,
  ) {
    super();
  }
}
