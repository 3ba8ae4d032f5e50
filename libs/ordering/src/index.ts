/**
 * The ordering module's public surface. Other modules and the apps import only from here.
 */
export { OrderingModule } from './ordering.module';
