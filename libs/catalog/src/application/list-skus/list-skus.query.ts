import { Query } from '@nestjs/cqrs';

/** Every sku of the catalog, in sku order. */
export class ListSkusQuery extends Query<string[]> {}
