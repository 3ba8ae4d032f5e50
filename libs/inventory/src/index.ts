/**
 * The inventory module's public surface. Other modules and the apps import only from here: the
 * Nest module, the commands inventory accepts and the events it publishes. It has no facade:
 * nothing needs to read inventory synchronously.
 */
export { InventoryModule } from './inventory.module';
export { ReserveStockV1 } from './contracts/reserve-stock.v1';
export { ReleaseStockV1 } from './contracts/release-stock.v1';
export { StockReservedV1 } from './contracts/stock-reserved.v1';
export { StockReservationRejectedV1 } from './contracts/stock-reservation-rejected.v1';
export { StockReleasedV1 } from './contracts/stock-released.v1';
