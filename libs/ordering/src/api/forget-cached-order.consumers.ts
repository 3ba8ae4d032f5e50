import { Inject, Injectable, type Type } from '@nestjs/common';
import type { InboxHandler } from '@platform/inbox';
import type { EventContract, EventData, IntegrationEvent } from '@platform/messaging';
import type { z } from 'zod';
import { OrderCancelledV1 } from '../contracts/order-cancelled.v1';
import { OrderConfirmedV1 } from '../contracts/order-confirmed.v1';
import { OrderCache } from '../infrastructure/cache/cached-order.read-model';

/**
 * A consumer of one of ordering's own settlement events that forgets the order's cached view
 * (PENDING) after the saga's commit, never before. It owns its transactions: only Redis is
 * touched, with no transaction open; a failure throws and the inbox delivers the event again.
 */
function forgetCachedOrderOn<Contract extends EventContract<z.ZodType<{ orderId: string }>>>(
  name: string,
  contract: Contract,
): Type<InboxHandler<Contract>> {
  @Injectable()
  class ForgetCachedOrder implements InboxHandler<Contract> {
    readonly consumer = { name, contract, transactionOwner: 'handler' as const };

    constructor(@Inject(OrderCache) readonly cache: OrderCache) {}

    async handle({ data }: IntegrationEvent<EventData<Contract>>): Promise<void> {
      await this.cache.orders.invalidate(data.orderId);
    }
  }
  Object.defineProperty(ForgetCachedOrder, 'name', { value: `ForgetCachedOrder(${name})` });
  return ForgetCachedOrder;
}

/** Consumer names key the inbox rows and are the consumer groups: never rename them. */
export const forgetCachedOrderConsumers = [
  forgetCachedOrderOn('ordering.cache-invalidation.order-confirmed', OrderConfirmedV1),
  forgetCachedOrderOn('ordering.cache-invalidation.order-cancelled', OrderCancelledV1),
];
