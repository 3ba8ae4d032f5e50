/**
 * The ordering module's public surface. Other modules and the apps import only from here:
 * the Nest module and the integration events it publishes.
 */
export { OrderingModule } from './ordering.module';
export { OrderPlacedV1 } from './contracts/order-placed.v1';
