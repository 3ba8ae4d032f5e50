import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ResourceNotFound, StateConflict } from '@platform/ddd';
import { ProductRepository } from '../product-repository';
import type { ProductView } from '../product.view';
import { ChangeProductDetailsCommand } from './change-product-details.command';

@CommandHandler(ChangeProductDetailsCommand)
export class ChangeProductDetailsHandler implements ICommandHandler<ChangeProductDetailsCommand> {
  constructor(@Inject(ProductRepository) private readonly products: ProductRepository) {}

  async execute({ sku, change }: ChangeProductDetailsCommand): Promise<ProductView> {
    const product = await this.products.load(sku);
    if (!product) {
      throw new ResourceNotFound('Product', sku);
    }
    const loadedVersion = product.version;
    if (product.changeDetails(change) && !(await this.products.saveChanged(product, loadedVersion))) {
      throw new StateConflict(
        'concurrent-modification',
        `Product '${sku}' was changed by another request meanwhile; read it again and retry.`,
      );
    }
    const { version: _version, ...view } = product.snapshot();
    return view;
  }
}
