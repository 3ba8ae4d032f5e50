import { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/** Placed as the customer `shed` (the token's subject). */
const order = { items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] };

describe('Load shedding at the HTTP edge', () => {
  describe('with too many requests in progress', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ LOAD_SHED_MAX_IN_FLIGHT: '4', LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0' });
    });
    afterAll(() => t.close());

    it('answers 503 with Retry-After at once to ordinary routes, keeps health answering, and recovers', async () => {
      // Four placements held on a table lock are the four requests in progress.
      const blocker = new Client({ connectionString: t.database.url });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE ordering.orders IN EXCLUSIVE MODE');
      const held = Array.from({ length: 4 }, () =>
        t
          .as('shed')
          .post('/orders')
          .send(order)
          .then((response) => response),
      );
      await waitFor(async () => {
        const { rows } = await blocker.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_locks WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND NOT granted AND relation = 'ordering.orders'::regclass`,
        );
        return Number(rows[0]!.n) === 4;
      });

      const shedOrder = await t.as('shed').post('/orders').send(order);
      expect(shedOrder.status).toBe(503);
      expect(shedOrder.headers['retry-after']).toBe('2');
      expect(shedOrder.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(shedOrder.body).toMatchObject({ type: '/problems/overloaded', status: 503 });
      expect((await t.http.get('/catalog/products/TEA-SENCHA-100G')).status).toBe(503);
      expect((await t.http.get('/health/live')).status).toBe(200);
      expect((await t.http.get('/health/ready')).status).toBe(200);

      await blocker.query('COMMIT');
      await blocker.end();
      expect((await Promise.all(held)).map((response) => response.status)).toEqual([201, 201, 201, 201]);
      await t.as('shed').post('/orders').send(order).expect(201);
    });
  });

  describe('with a lagging event loop', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '50' });
    });
    afterAll(() => t.close());

    it('sheds ordinary routes while the loop lags, never health, and recovers', async () => {
      // Keep the event loop of this process (the app's too) lagging: 80 ms busy out of every 90.
      const lag = setInterval(() => {
        const busyUntil = Date.now() + 80;
        while (Date.now() < busyUntil) {
          // blocked
        }
      }, 90);
      try {
        let shed: Awaited<ReturnType<typeof t.http.get>> | undefined;
        await waitFor(async () => {
          shed = await t.http.get('/catalog/products/TEA-SENCHA-100G');
          return shed.status === 503;
        });
        expect(shed!.headers['retry-after']).toBe('2');
        expect(shed!.body).toMatchObject({ type: '/problems/overloaded', status: 503 });
        expect((await t.http.get('/health/live')).status).toBe(200);
      } finally {
        clearInterval(lag);
      }
      await waitFor(async () => (await t.http.get('/catalog/products/TEA-SENCHA-100G')).status === 200, 5_000);
    });
  });
});
