import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { createEvent, currentTraceparent } from '@platform/messaging';
import { ResourceNotFound, StateConflict } from '@platform/ddd';
import { CATALOG_EVENT_SOURCE, ProductDetailsChangedV1 } from '../../contracts/product-details-changed.v1';
import { ProductRepository } from '../product-repository';
import type { ProductView } from '../product.view';
import { EventOutbox, UnitOfWork } from '../transactions';
import { ChangeProductDetailsCommand } from './change-product-details.command';

/**
 * Changes a product and records ProductDetailsChanged in the same transaction: the event leaves
 * (through the outbox relay) only if the change commits, and every change has its event.
 */
@CommandHandler(ChangeProductDetailsCommand)
export class ChangeProductDetailsHandler implements ICommandHandler<ChangeProductDetailsCommand> {
  constructor(
    @Inject(ProductRepository) private readonly products: ProductRepository,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(EventOutbox) private readonly outbox: EventOutbox,
  ) {}

  execute({ sku, change }: ChangeProductDetailsCommand): Promise<ProductView> {
    return this.unitOfWork.run(async () => {
      const product = await this.products.load(sku);
      if (!product) {
        throw new ResourceNotFound('Product', sku);
      }
      const loadedVersion = product.version;
      if (product.changeDetails(change)) {
        if (!(await this.products.saveChanged(product, loadedVersion))) {
          throw new StateConflict(
            'concurrent-modification',
            `Product '${sku}' was changed by another request meanwhile; read it again and retry.`,
          );
        }
        const { version, ...details } = product.snapshot();
        await this.outbox.record([
          createEvent(
            ProductDetailsChangedV1,
            sku,
            { ...details, version },
            {
              source: CATALOG_EVENT_SOURCE,
              traceparent: currentTraceparent(),
            },
          ),
        ]);
      }
      const { version: _version, ...view } = product.snapshot();
      return view;
    });
  }
}
