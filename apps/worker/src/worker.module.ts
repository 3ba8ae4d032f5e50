import { type DynamicModule, Module } from '@nestjs/common';
import { CatalogModule } from '@modulith/catalog';
import { InventoryModule } from '@modulith/inventory';
import { OrderingModule } from '@modulith/ordering';
import { PaymentsModule } from '@modulith/payments';
import type { AppConfig } from '@platform/config';
import { PlatformModule } from '@platform/defaults';

/**
 * The background deployable: the same modules as the api, in their non-HTTP roles. With Kafka it
 * relays every module's outbox, runs every module's event consumers and the fulfilment saga's
 * timer; its controllers are not served.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot(config, 'worker'),
        CatalogModule,
        InventoryModule,
        OrderingModule,
        PaymentsModule,
      ],
    };
  }
}
