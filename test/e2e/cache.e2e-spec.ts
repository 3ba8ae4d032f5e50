import { Caches } from '@platform/cache';
import { startTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import {
  deleteNamespace,
  startOwnRedisServer,
  TEST_REDIS_URL,
  uniqueNamespace,
  type OwnRedisServer,
} from '../support/test-redis';
import { waitFor } from '../support/wait-for';

/**
 * The L1/L2 cache applied to the catalog's product reads, its price facade and GET /orders/:id,
 * with two instances of the api on one database and one Redis, as a deployment runs them.
 * CACHE_L1_TTL_MS is long here (60 s), so a fresh read can only come from an invalidation, never
 * from an L1 entry that happened to expire.
 */
const L1_TTL_MS = 60_000;

function cacheEnv(redisUrl: string, namespace: string): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    CACHE_NAMESPACE: namespace,
    CACHE_L1_TTL_MS: String(L1_TTL_MS),
    OUTBOX_POLL_INTERVAL_MS: '50',
    FULFILMENT_TIMER_INTERVAL_MS: '50',
    // A hanging gateway is given up on quickly and asked again, well within the payment deadline.
    PAYMENT_GATEWAY_TIMEOUT_MS: '300',
    FULFILMENT_PAYMENT_TIMEOUT_MS: '60000',
  };
}

const productStats = (t: TestApp) => t.app.get(Caches).stats().regions['catalog.products']!;
const orderStats = (t: TestApp) => t.app.get(Caches).stats().regions['ordering.orders']!;

/** An operator: reads any order and changes products. */
const admin = (t: TestApp) => t.as('ops', { admin: true });

async function waitForBody(
  t: TestApp,
  customerId: string,
  path: string,
  done: (body: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> = {};
  await waitFor(async () => done((body = (await t.as(customerId).get(path).expect(200)).body)));
  return body;
}

describe('Cache across two api instances (PostgreSQL, Redis)', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const namespace = uniqueNamespace();

  beforeAll(async () => {
    database = await createTestDatabase();
    a = await startTestApp(cacheEnv(TEST_REDIS_URL, namespace), { database });
    b = await startTestApp(cacheEnv(TEST_REDIS_URL, namespace), { database });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await database.drop();
    await deleteNamespace(namespace);
  });

  it('a product changed through instance A is served fresh by instance B once the change is relayed', async () => {
    expect((await b.http.get('/catalog/products/TEA-GENMAICHA-100G').expect(200)).body.priceMinor).toBeGreaterThan(0);
    await b.http.get('/catalog/products/TEA-GENMAICHA-100G').expect(200); // now in B's L1
    expect(productStats(b).l1.hits).toBeGreaterThan(0);

    const changedAt = Date.now();
    await admin(a).patch('/catalog/products/TEA-GENMAICHA-100G').send({ priceMinor: 1234 }).expect(200);
    await waitFor(
      async () => (await b.http.get('/catalog/products/TEA-GENMAICHA-100G').expect(200)).body.priceMinor === 1234,
      10_000,
    );
    // Far within the L1 lifetime: the invalidation (event -> Redis -> pub/sub) did it, not an expiry.
    expect(Date.now() - changedAt).toBeLessThan(L1_TTL_MS / 10);
    expect(productStats(b).invalidations.received).toBeGreaterThan(0);

    // Orders placed afterwards, on either instance, are priced from the changed product.
    for (const t of [a, b]) {
      const order = await t
        .as('cache-1')
        .post('/orders')
        .send({ items: [{ sku: 'TEA-GENMAICHA-100G', quantity: 1 }] })
        .expect(201);
      expect(order.body.items[0].unitPriceMinor).toBe(1234);
    }
  });

  it('100 concurrent requests for one uncached product cause one database load per instance', async () => {
    const before = [productStats(a).loader.calls, productStats(b).loader.calls];
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, index) => (index % 2 === 0 ? a : b).http.get('/catalog/products/COF-BRAZIL-1KG')),
    );
    expect(responses.every((response) => response.status === 200 && response.body.sku === 'COF-BRAZIL-1KG')).toBe(true);
    const loads = [productStats(a).loader.calls - before[0]!, productStats(b).loader.calls - before[1]!];
    // At most one each; one instance may find what the other stored in Redis and load nothing.
    expect(loads.every((count) => count <= 1)).toBe(true);
    expect(loads[0]! + loads[1]!).toBeGreaterThanOrEqual(1);
  });

  it('GET /orders/:id: a PENDING view cached by B is replaced once the saga confirms or cancels the order', async () => {
    // Payment hangs on both instances' gateways, so the orders wait in AWAITING_PAYMENT while B caches them.
    await Promise.all([a, b].map((t) => t.setGatewayFaults({ hang: true })));
    let placed: { id: string; customerId: string }[];
    try {
      placed = [];
      for (const customerId of ['cache-2', 'decline-cache-2']) {
        const order = await a
          .as(customerId)
          .post('/orders')
          .send({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] })
          .expect(201);
        placed.push(order.body);
      }
      for (const { id } of placed) {
        await waitFor(async () => (await admin(a).get(`/orders/${id}/fulfilment`)).body.step === 'AWAITING_PAYMENT');
      }
      const hitsBefore = orderStats(b).l1.hits;
      for (const { id, customerId } of placed) {
        expect((await b.as(customerId).get(`/orders/${id}`).expect(200)).body.status).toBe('PENDING');
        expect((await b.as(customerId).get(`/orders/${id}`).expect(200)).body.status).toBe('PENDING');
      }
      expect(orderStats(b).l1.hits - hitsBefore).toBe(2); // each second read came from B's L1
    } finally {
      await Promise.all([a, b].map((t) => t.setGatewayFaults({})));
    }

    const [confirmed, declined] = placed;
    const settledAt = Date.now();
    await waitFor(
      async () => (await b.as('cache-2').get(`/orders/${confirmed!.id}`).expect(200)).body.status === 'CONFIRMED',
    );
    const cancelled = await waitForBody(
      b,
      'decline-cache-2',
      `/orders/${declined!.id}`,
      (body) => body.status === 'CANCELLED',
    );
    expect(cancelled.cancellationReason).toBe('PAYMENT_DECLINED');
    // Far within B's L1 lifetime: the order-confirmed and order-cancelled events invalidated the views.
    expect(Date.now() - settledAt).toBeLessThan(L1_TTL_MS / 2);
    expect(orderStats(b).invalidations.received).toBeGreaterThanOrEqual(2);
    expect((await a.as('cache-2').get(`/orders/${confirmed!.id}`).expect(200)).body.status).toBe('CONFIRMED');
  });
});

describe('Cache with Redis going away (own redis-server)', () => {
  let redis: OwnRedisServer;
  let t: TestApp;

  beforeAll(async () => {
    redis = await startOwnRedisServer();
    t = await startTestApp({ ...cacheEnv(redis.url, uniqueNamespace()), CACHE_REDIS_TIMEOUT_MS: '100' });
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('reads keep answering, correctly, from the database while Redis is down, and use the cache again after', async () => {
    await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
    await redis.kill();

    for (let round = 0; round < 10; round += 1) {
      const response = await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
      expect(response.body.sku).toBe('TEA-SENCHA-100G');
    }
    // A change made while Redis is down is seen at once: nothing cached is used without Redis.
    await admin(t).patch('/catalog/products/TEA-SENCHA-100G').send({ priceMinor: 999 }).expect(200);
    expect((await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200)).body.priceMinor).toBe(999);
    await t
      .as('cache-3')
      .post('/orders')
      .send({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] })
      .expect(201);
    expect(productStats(t).bypassed).toBeGreaterThan(0);
    expect((await t.http.get('/health/ready').expect(200)).body).toBeDefined();

    await redis.restart();
    await waitFor(async () => t.app.get(Caches).redis === 'up', 15_000);
    const hitsBefore = productStats(t).l1.hits;
    await waitFor(async () => {
      await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
      return productStats(t).l1.hits > hitsBefore;
    }, 20_000);
    expect((await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200)).body.priceMinor).toBe(999);
  });
});
