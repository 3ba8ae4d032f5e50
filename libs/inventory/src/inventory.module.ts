import { Module } from '@nestjs/common';
import { CatalogModule } from '@modulith/catalog';
import { inboxConsumers } from '@platform/inbox';
import { OutboxModule } from '@platform/outbox';
import { ClsModule } from 'nestjs-cls';
import { ReleaseStockOnCommand } from './api/release-stock-on-command.consumer';
import { ReserveStockOnCommand } from './api/reserve-stock-on-command.consumer';
import { StockHttpController } from './api/stock.http.controller';
import { GetStockHandler } from './application/get-stock/get-stock.handler';
import { ReservationRepository, StockRepository } from './application/ports';
import { ReleaseStockHandler } from './application/release-stock/release-stock.handler';
import { ReserveStockBatchHandler, ReserveStockHandler } from './application/reserve-stock/reserve-stock.handler';
import { INVENTORY_EVENT_SOURCE } from './contracts/inventory-event-source';
import { StockReleasedV1 } from './contracts/stock-released.v1';
import { StockReservationRejectedV1 } from './contracts/stock-reservation-rejected.v1';
import { StockReservedV1 } from './contracts/stock-reserved.v1';
import { InventoryPrismaModule } from './infrastructure/persistence/inventory-prisma.module';
import { inventoryTransactions, transactionProviders } from './infrastructure/persistence/inventory-transactions';
import { PrismaReservationRepository } from './infrastructure/persistence/prisma-reservation.repository';
import { PrismaStockRepository } from './infrastructure/persistence/prisma-stock.repository';
import { SampleStockSeeder } from './infrastructure/seed/sample-stock.seeder';

/**
 * The inventory bounded context: stock per sku and reservations per order. Owns the `inventory`
 * schema. Imports CatalogModule for its facade only (the skus to seed stock for). Its two commands
 * arrive from the broker through its inbox (`api/*-on-command.consumer.ts`), in its transaction.
 */
@Module({
  imports: [
    CatalogModule,
    InventoryPrismaModule,
    ClsModule.registerPlugins([inventoryTransactions()]),
    OutboxModule.forFeature({
      schema: 'inventory',
      source: INVENTORY_EVENT_SOURCE,
      events: [StockReservedV1, StockReservationRejectedV1, StockReleasedV1],
    }),
  ],
  controllers: [StockHttpController],
  providers: [
    { provide: StockRepository, useClass: PrismaStockRepository },
    { provide: ReservationRepository, useClass: PrismaReservationRepository },
    ...transactionProviders,
    GetStockHandler,
    ReserveStockHandler,
    ReserveStockBatchHandler,
    ReleaseStockHandler,
    SampleStockSeeder,
    ReserveStockOnCommand,
    ReleaseStockOnCommand,
    inboxConsumers({
      schema: 'inventory',
      transactions: 'inventory',
      handlers: [ReserveStockOnCommand, ReleaseStockOnCommand],
    }),
  ],
})
export class InventoryModule {}
