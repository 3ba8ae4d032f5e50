/**
 * The catalog module's public surface. Other modules and the apps import only from here:
 * the Nest module, the facade, the types the facade returns, and the events catalog publishes.
 */
export { CatalogModule } from './catalog.module';
export { CatalogFacade } from './application/catalog.facade';
export type { ProductPrice } from './application/product-repository';
export { ProductDetailsChangedV1 } from './contracts/product-details-changed.v1';
