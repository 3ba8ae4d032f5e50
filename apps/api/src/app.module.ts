import { Module, type DynamicModule } from '@nestjs/common';
import { CatalogModule } from '@modulith/catalog';
import { InventoryModule } from '@modulith/inventory';
import { OrderingModule } from '@modulith/ordering';
import { PaymentsModule } from '@modulith/payments';
import type { AppConfig } from '@platform/config';
import { PlatformModule } from '@platform/defaults';

/** The HTTP deployable: the platform's service defaults plus each module's HTTP adapters. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [PlatformModule.forRoot(config, 'api'), CatalogModule, InventoryModule, OrderingModule, PaymentsModule],
    };
  }
}
