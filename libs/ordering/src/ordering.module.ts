import { Module } from '@nestjs/common';
import { CatalogModule } from '@modulith/catalog';
import { providePrismaClient } from '@platform/database';
import { OutboxModule } from '@platform/outbox';
import { ORDERING_EVENT_SOURCE, OrderPlacedV1 } from './contracts/order-placed.v1';
import { OrdersHttpController } from './api/orders.http.controller';
import { GetOrderHandler } from './application/get-order/get-order.handler';
import { PlaceOrderHandler } from './application/place-order/place-order.handler';
import { OrderReadModel, OrderRepository, ProductPricing } from './application/ports';
import { CatalogProductPricing } from './infrastructure/catalog/catalog-product-pricing';
import { PrismaClient } from './infrastructure/persistence/generated/client';
import { PrismaOrderReadModel } from './infrastructure/persistence/prisma-order.read-model';
import { PrismaOrderRepository } from './infrastructure/persistence/prisma-order.repository';

/** The ordering bounded context: orders and their placement. Owns the `ordering` schema. */
@Module({
  imports: [
    CatalogModule,
    OutboxModule.forFeature({ schema: 'ordering', source: ORDERING_EVENT_SOURCE, events: [OrderPlacedV1] }),
  ],
  controllers: [OrdersHttpController],
  providers: [
    providePrismaClient(PrismaClient, (adapter) => new PrismaClient({ adapter })),
    { provide: OrderRepository, useClass: PrismaOrderRepository },
    { provide: OrderReadModel, useClass: PrismaOrderReadModel },
    { provide: ProductPricing, useClass: CatalogProductPricing },
    PlaceOrderHandler,
    GetOrderHandler,
  ],
})
export class OrderingModule {}
