import { Module } from '@nestjs/common';
import { CatalogModule } from '@modulith/catalog';
import { ReleaseStockV1, ReserveStockV1 } from '@modulith/inventory';
import { CapturePaymentV1, RefundPaymentV1 } from '@modulith/payments';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { inboxConsumers } from '@platform/inbox';
import { OutboxModule } from '@platform/outbox';
import { ClsModule } from 'nestjs-cls';
import { forgetCachedOrderConsumers } from './api/forget-cached-order.consumers';
import { fulfilmentReplyConsumers, StartFulfilmentOnOrderPlaced } from './api/fulfilment-saga.consumers';
import { FulfilmentTimer } from './api/fulfilment-timer';
import { OrdersHttpController } from './api/orders.http.controller';
import { OrderingMetrics } from './application/ordering-metrics';
import { FulfilmentProcess } from './application/fulfilment/fulfilment-process';
import { FulfilmentSettings } from './application/fulfilment/fulfilment-settings';
import { GetFulfilmentHandler } from './application/get-fulfilment/get-fulfilment.handler';
import { GetOrderHandler } from './application/get-order/get-order.handler';
import { PlaceOrderHandler } from './application/place-order/place-order.handler';
import {
  FulfilmentReadModel,
  FulfilmentSagaRepository,
  OrderReadModel,
  OrderRepository,
  ProductPricing,
} from './application/ports';
import { OrderCancelledV1 } from './contracts/order-cancelled.v1';
import { OrderConfirmedV1 } from './contracts/order-confirmed.v1';
import { ORDERING_EVENT_SOURCE, OrderPlacedV1 } from './contracts/order-placed.v1';
import { CachedOrderReadModel, OrderCache } from './infrastructure/cache/cached-order.read-model';
import { CatalogProductPricing } from './infrastructure/catalog/catalog-product-pricing';
import { OrderingPrismaModule } from './infrastructure/persistence/ordering-prisma.module';
import {
  ORDERING_CONNECTION,
  orderingTransactions,
  unitOfWorkProvider,
} from './infrastructure/persistence/ordering-transactions';
import { PrismaOrderReadModel } from './infrastructure/persistence/prisma-order.read-model';
import { PrismaOrderRepository } from './infrastructure/persistence/prisma-order.repository';
import {
  SqlFulfilmentReadModel,
  SqlFulfilmentSagaRepository,
} from './infrastructure/persistence/sql-fulfilment-saga.repository';

/**
 * The ordering bounded context: orders, their placement, and their fulfilment saga, the process
 * manager that drives inventory and payments by commands through ordering's outbox and hears their
 * replies through ordering's inbox. Owns the `ordering` schema.
 */
@Module({
  imports: [
    CatalogModule,
    OrderingPrismaModule,
    ClsModule.registerPlugins([orderingTransactions()]),
    OutboxModule.forFeature({
      schema: 'ordering',
      source: ORDERING_EVENT_SOURCE,
      events: [
        OrderPlacedV1,
        OrderConfirmedV1,
        OrderCancelledV1,
        ReserveStockV1,
        ReleaseStockV1,
        CapturePaymentV1,
        RefundPaymentV1,
      ],
    }),
  ],
  controllers: [OrdersHttpController],
  providers: [
    { provide: OrderRepository, useClass: PrismaOrderRepository },
    PrismaOrderReadModel,
    OrderCache,
    { provide: OrderReadModel, useClass: CachedOrderReadModel },
    { provide: ProductPricing, useClass: CatalogProductPricing },
    { provide: FulfilmentSagaRepository, useClass: SqlFulfilmentSagaRepository },
    { provide: FulfilmentReadModel, useClass: SqlFulfilmentReadModel },
    {
      provide: FulfilmentSettings,
      inject: [APP_CONFIG],
      useFactory: ({ fulfilment: { timerIntervalMs, ...timeouts } }: AppConfig) =>
        new FulfilmentSettings(timeouts, timerIntervalMs),
    },
    unitOfWorkProvider,
    PlaceOrderHandler,
    GetOrderHandler,
    GetFulfilmentHandler,
    FulfilmentProcess,
    OrderingMetrics,
    FulfilmentTimer,
    StartFulfilmentOnOrderPlaced,
    ...fulfilmentReplyConsumers,
    ...forgetCachedOrderConsumers,
    inboxConsumers({
      schema: 'ordering',
      transactions: ORDERING_CONNECTION,
      handlers: [StartFulfilmentOnOrderPlaced, ...fulfilmentReplyConsumers, ...forgetCachedOrderConsumers],
    }),
  ],
})
export class OrderingModule {}
