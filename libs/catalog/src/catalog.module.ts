import { Module } from '@nestjs/common';
import { inboxConsumers } from '@platform/inbox';
import { OutboxModule } from '@platform/outbox';
import { ClsModule } from 'nestjs-cls';
import { ForgetCachedProductOnChange } from './api/forget-cached-product.consumer';
import { ProductsHttpController } from './api/products.http.controller';
import { CatalogFacade } from './application/catalog.facade';
import { ChangeProductDetailsHandler } from './application/change-product-details/change-product-details.handler';
import { GetProductHandler } from './application/get-product/get-product.handler';
import { GetProductPricesHandler } from './application/get-product-prices/get-product-prices.handler';
import { ListProductsHandler } from './application/list-products/list-products.handler';
import { ListSkusHandler } from './application/list-skus/list-skus.handler';
import { ProductRepository } from './application/product-repository';
import { CATALOG_EVENT_SOURCE, ProductDetailsChangedV1 } from './contracts/product-details-changed.v1';
import { CachedProductRepository, CatalogCache } from './infrastructure/cache/cached-product.repository';
import { CatalogPrismaModule } from './infrastructure/persistence/catalog-prisma.module';
import { catalogTransactions, transactionProviders } from './infrastructure/persistence/catalog-transactions';
import { PrismaProductRepository } from './infrastructure/persistence/prisma-product.repository';
import { SampleCatalogSeeder } from './infrastructure/seed/sample-catalog.seeder';

/**
 * The catalog bounded context: products and their prices. Owns the `catalog` schema. Its product
 * and price reads are cached (L1 in-process, L2 Redis), forgotten on its own change events.
 */
@Module({
  imports: [
    CatalogPrismaModule,
    ClsModule.registerPlugins([catalogTransactions()]),
    OutboxModule.forFeature({ schema: 'catalog', source: CATALOG_EVENT_SOURCE, events: [ProductDetailsChangedV1] }),
  ],
  controllers: [ProductsHttpController],
  providers: [
    PrismaProductRepository,
    CatalogCache,
    { provide: ProductRepository, useClass: CachedProductRepository },
    ForgetCachedProductOnChange,
    inboxConsumers({ schema: 'catalog', transactions: 'catalog', handlers: [ForgetCachedProductOnChange] }),
    ...transactionProviders,
    ListProductsHandler,
    GetProductHandler,
    GetProductPricesHandler,
    ListSkusHandler,
    ChangeProductDetailsHandler,
    SampleCatalogSeeder,
    CatalogFacade,
  ],
  exports: [CatalogFacade],
})
export class CatalogModule {}
