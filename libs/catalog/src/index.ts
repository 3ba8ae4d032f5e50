/**
 * The catalog module's public surface. Other modules and the apps import only from here:
 * the Nest module, the facade, and the types the facade returns.
 */
export { CatalogModule } from './catalog.module';
export { CatalogFacade } from './application/catalog.facade';
export type { ProductPrice } from './application/product-repository';
