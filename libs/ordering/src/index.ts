/**
 * The ordering module's public surface. Other modules and the apps import only from here:
 * the Nest module and the integration events it publishes.
 */
export { OrderingModule } from './ordering.module';
export { OrderPlacedV1 } from './contracts/order-placed.v1';
export { OrderConfirmedV1 } from './contracts/order-confirmed.v1';
export { OrderCancelledV1 } from './contracts/order-cancelled.v1';
