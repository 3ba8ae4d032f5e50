import { createEvent, currentTraceparent, type IntegrationEvent } from '@platform/messaging';
import { v7 as uuidv7 } from 'uuid';
import { ORDERING_EVENT_SOURCE, OrderPlacedV1 } from '../../contracts/order-placed.v1';
import type { Order } from '../../domain/order';

/** The integration event that tells other modules an order was placed. */
export function orderPlaced(order: Order): IntegrationEvent {
  const { id, customerId, lines, totalMinor, currency, placedAt } = order.snapshot();
  return createEvent(
    OrderPlacedV1,
    id,
    {
      orderId: id,
      customerId,
      lines: lines.map(({ sku, quantity, unitPriceMinor }) => ({ sku, quantity, unitPriceMinor })),
      totalMinor,
      currency,
      placedAt: placedAt.toISOString(),
    },
    { source: ORDERING_EVENT_SOURCE, id: uuidv7(), time: placedAt, traceparent: currentTraceparent() },
  );
}
