import { Module } from '@nestjs/common';
import { providePrismaClient } from '@platform/database';
import { ProductsHttpController } from './api/products.http.controller';
import { CatalogFacade } from './application/catalog.facade';
import { ChangeProductDetailsHandler } from './application/change-product-details/change-product-details.handler';
import { GetProductHandler } from './application/get-product/get-product.handler';
import { GetProductPricesHandler } from './application/get-product-prices/get-product-prices.handler';
import { ListProductsHandler } from './application/list-products/list-products.handler';
import { ProductRepository } from './application/product-repository';
import { PrismaClient } from './infrastructure/persistence/generated/client';
import { PrismaProductRepository } from './infrastructure/persistence/prisma-product.repository';
import { SampleCatalogSeeder } from './infrastructure/seed/sample-catalog.seeder';

/** The catalog bounded context: products and their prices. Owns the `catalog` schema. */
@Module({
  controllers: [ProductsHttpController],
  providers: [
    providePrismaClient(PrismaClient, (adapter) => new PrismaClient({ adapter })),
    { provide: ProductRepository, useClass: PrismaProductRepository },
    ListProductsHandler,
    GetProductHandler,
    GetProductPricesHandler,
    ChangeProductDetailsHandler,
    SampleCatalogSeeder,
    CatalogFacade,
  ],
  exports: [CatalogFacade],
})
export class CatalogModule {}
