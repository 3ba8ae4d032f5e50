import { Inject, Injectable } from '@nestjs/common';
import type { InboxHandler } from '@platform/inbox';
import type { EventData, IntegrationEvent } from '@platform/messaging';
import { ProductDetailsChangedV1 } from '../contracts/product-details-changed.v1';
import { CatalogCache } from '../infrastructure/cache/cached-product.repository';

/**
 * Catalog reacting to its own `catalog.product-details-changed.v1`: the event is recorded with the
 * change and relayed only after it committed, so the cached product and price are forgotten after
 * the commit, never before (a reader cannot reload the old row into the cache after this). It owns
 * its transactions (nothing to write in catalog's): Redis is called with no transaction open; a
 * failure to reach Redis throws, and the inbox delivers the event again.
 */
@Injectable()
export class ForgetCachedProductOnChange implements InboxHandler<typeof ProductDetailsChangedV1> {
  /** `name` keys the inbox rows and is the consumer group: never rename it. */
  readonly consumer = {
    name: 'catalog.cache-invalidation',
    contract: ProductDetailsChangedV1,
    transactionOwner: 'handler' as const,
  };

  constructor(@Inject(CatalogCache) private readonly cache: CatalogCache) {}

  async handle({ data }: IntegrationEvent<EventData<typeof ProductDetailsChangedV1>>): Promise<void> {
    await this.cache.forget(data.sku);
  }
}
