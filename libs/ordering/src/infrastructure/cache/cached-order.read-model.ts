import { Inject, Injectable } from '@nestjs/common';
import { type CacheRegion, Caches } from '@platform/cache';
import type { OrderView } from '../../application/order.view';
import { OrderReadModel } from '../../application/ports';
import { PrismaOrderReadModel } from '../persistence/prisma-order.read-model';

/** Orders by id as GET /orders/:id shows them; forgotten when the saga settles an order. */
@Injectable()
export class OrderCache {
  readonly orders: CacheRegion<OrderView>;

  constructor(@Inject(Caches) caches: Caches) {
    this.orders = caches.region<OrderView>('ordering.orders');
  }
}

/**
 * The order read model, cache-aside. An order changes once after its placement (PENDING to
 * CONFIRMED or CANCELLED, by the saga), and that change publishes `ordering.order-confirmed.v1` or
 * `ordering.order-cancelled.v1`, whose consumers forget the cached view after the commit.
 */
@Injectable()
export class CachedOrderReadModel extends OrderReadModel {
  constructor(
    @Inject(PrismaOrderReadModel) private readonly database: PrismaOrderReadModel,
    @Inject(OrderCache) private readonly cache: OrderCache,
  ) {
    super();
  }

  async findView(id: string): Promise<OrderView | null> {
    const view = await this.cache.orders.get(id, async () => (await this.database.findView(id)) ?? undefined);
    return view ?? null;
  }
}
