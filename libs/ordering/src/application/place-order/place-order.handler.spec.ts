import { BusinessRuleViolation, StateConflict } from '@platform/ddd';
import type { Order, UnitPrice } from '../../domain/order';
import type { OrderView } from '../order.view';
import { type AddOutcome, type IdempotencyClaim, OrderReadModel, OrderRepository, ProductPricing } from '../ports';
import { PlaceOrderCommand } from './place-order.command';
import { OrderingMetrics } from '../ordering-metrics';
import { PlaceOrderHandler } from './place-order.handler';
import { requestFingerprint } from './request-fingerprint';

/** In-memory stand-ins for the handler's ports: the handler's decisions, without a database. */
class FakeCatalog extends ProductPricing {
  async pricesOf(skus: readonly string[]): Promise<ReadonlyMap<string, UnitPrice>> {
    const known = new Map([['TEA', { priceMinor: 850, currency: 'EUR' }]]);
    return new Map(skus.filter((sku) => known.has(sku)).map((sku) => [sku, known.get(sku)!]));
  }
}

class FakeOrders extends OrderRepository {
  readonly claims = new Map<string, { orderId: string; requestFingerprint: string }>();
  readonly added: Order[] = [];

  async add(order: Order, claim: IdempotencyClaim | null): Promise<AddOutcome> {
    const earlier = claim && this.claims.get(claim.key);
    if (earlier) {
      return { added: false, ...earlier };
    }
    if (claim) {
      this.claims.set(claim.key, { orderId: order.id, requestFingerprint: claim.requestFingerprint });
    }
    this.added.push(order);
    return { added: true };
  }

  async findClaim(key: string) {
    return this.claims.get(key) ?? null;
  }
}

class FakeViews extends OrderReadModel {
  constructor(private readonly orders: FakeOrders) {
    super();
  }

  async findView(id: string): Promise<OrderView | null> {
    const order = this.orders.added.find((candidate) => candidate.id === id);
    return order ? ({ id: order.id } as OrderView) : null;
  }
}

describe('PlaceOrderHandler', () => {
  const setup = () => {
    const orders = new FakeOrders();
    return {
      orders,
      handler: new PlaceOrderHandler(new FakeCatalog(), orders, new FakeViews(orders), new OrderingMetrics()),
    };
  };
  const tea = [{ sku: 'TEA', quantity: 2 }];

  it('places an order priced from the catalog', async () => {
    const { handler, orders } = setup();
    const { order, replayed } = await handler.execute(new PlaceOrderCommand('c-1', tea, null));
    expect(replayed).toBe(false);
    expect(order).toMatchObject({ customerId: 'c-1', status: 'PENDING', totalMinor: 1700, currency: 'EUR' });
    expect(orders.added).toHaveLength(1);
  });

  it('replays the order of a key used before with the same request', async () => {
    const { handler, orders } = setup();
    const first = await handler.execute(new PlaceOrderCommand('c-1', tea, 'k'));
    const second = await handler.execute(new PlaceOrderCommand('c-1', tea, 'k'));
    expect(second).toEqual({ order: { id: first.order.id }, replayed: true });
    expect(orders.added).toHaveLength(1);
  });

  it('refuses a key used before with another request', async () => {
    const { handler } = setup();
    await handler.execute(new PlaceOrderCommand('c-1', tea, 'k'));
    await expect(handler.execute(new PlaceOrderCommand('c-1', [{ sku: 'TEA', quantity: 3 }], 'k'))).rejects.toThrow(
      StateConflict,
    );
  });

  it('lets an earlier use of the key answer a request that now breaks a rule', async () => {
    const { handler, orders } = setup();
    orders.claims.set('k', {
      orderId: 'earlier',
      requestFingerprint: requestFingerprint('c-1', [{ sku: 'GONE', quantity: 1 }]),
    });
    orders.added.push({ id: 'earlier' } as Order);
    const replay = await handler.execute(new PlaceOrderCommand('c-1', [{ sku: 'GONE', quantity: 1 }], 'k'));
    expect(replay).toEqual({ order: { id: 'earlier' }, replayed: true });
  });

  it('reports the broken rule when the key was never used', async () => {
    const { handler } = setup();
    await expect(
      handler.execute(new PlaceOrderCommand('c-1', [{ sku: 'GONE', quantity: 1 }], 'fresh')),
    ).rejects.toThrow(BusinessRuleViolation);
  });
});
