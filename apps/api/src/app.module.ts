import { Module, type DynamicModule } from '@nestjs/common';
import { CatalogModule } from '@modulith/catalog';
import { InventoryModule } from '@modulith/inventory';
import { OrderingModule } from '@modulith/ordering';
import { PaymentsModule } from '@modulith/payments';
import { AuthModule } from '@platform/auth';
import type { AppConfig } from '@platform/config';
import { PlatformModule } from '@platform/defaults';

/** The HTTP deployable: the platform's service defaults, authentication, and each module's HTTP adapters. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        PlatformModule.forRoot(config, 'api'),
        AuthModule.forRoot(config),
        CatalogModule,
        InventoryModule,
        OrderingModule,
        PaymentsModule,
      ],
    };
  }
}
