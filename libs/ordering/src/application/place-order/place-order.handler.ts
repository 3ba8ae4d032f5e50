import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { BusinessRuleViolation, ResourceNotFound, StateConflict } from '@platform/ddd';
import { v7 as uuidv7 } from 'uuid';
import { Order } from '../../domain/order';
import { type OrderView, toOrderView } from '../order.view';
import { OrderingMetrics } from '../ordering-metrics';
import { type IdempotencyClaim, OrderReadModel, OrderRepository, ProductPricing } from '../ports';
import { type PlacedOrder, PlaceOrderCommand } from './place-order.command';
import { orderPlaced } from './order-placed.event';
import { requestFingerprint } from './request-fingerprint';

/**
 * Places an order: prices its lines from the catalog, checks the order's rules, and stores it
 * together with its Idempotency-Key and its OrderPlaced event (in the outbox) in one statement.
 * Two round trips to the database on the usual path (prices, insert); a repeated key costs one
 * more read.
 */
@CommandHandler(PlaceOrderCommand)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrderCommand> {
  constructor(
    @Inject(ProductPricing) private readonly pricing: ProductPricing,
    @Inject(OrderRepository) private readonly orders: OrderRepository,
    @Inject(OrderReadModel) private readonly views: OrderReadModel,
    @Inject(OrderingMetrics) private readonly metrics: OrderingMetrics,
  ) {}

  async execute({ customerId, items, idempotencyKey }: PlaceOrderCommand): Promise<PlacedOrder> {
    const claim: IdempotencyClaim | null = idempotencyKey
      ? { key: idempotencyKey, requestFingerprint: requestFingerprint(customerId, items) }
      : null;

    let order: Order;
    try {
      const prices = await this.pricing.pricesOf(items.map((item) => item.sku));
      order = Order.place({ id: uuidv7(), customerId, lines: items, prices, placedAt: new Date() });
    } catch (error) {
      // A key that already placed an order answers with that order (or a conflict) even if the
      // request could not be placed today, for example because a product left the catalog.
      const earlier = error instanceof BusinessRuleViolation && claim ? await this.orders.findClaim(claim.key) : null;
      if (earlier && claim) {
        return this.replay(claim, earlier.orderId, earlier.requestFingerprint);
      }
      throw error;
    }

    const outcome = await this.orders.add(order, claim, [orderPlaced(order)]);
    if (outcome.added) {
      this.metrics.orderPlaced();
      return { order: toOrderView(order), replayed: false };
    }
    return this.replay(claim!, outcome.orderId, outcome.requestFingerprint);
  }

  private async replay(claim: IdempotencyClaim, orderId: string, earlierFingerprint: string): Promise<PlacedOrder> {
    if (earlierFingerprint !== claim.requestFingerprint) {
      throw new StateConflict(
        'idempotency-key-reused',
        'This Idempotency-Key was already used for a different request; use a new key for a new order.',
      );
    }
    const order: OrderView | null = await this.views.findView(orderId);
    if (!order) {
      throw new ResourceNotFound('Order', orderId);
    }
    return { order, replayed: true };
  }
}
