import { Client } from 'pg';
import { spawnApp, startApiProcess, startWorkerProcess } from '../support/app-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testIssuer } from '../support/test-issuer';
import { waitFor } from '../support/wait-for';

const order = { items: [{ sku: 'TEA-ASSAM-250G', quantity: 1 }] };

describe('The api process', () => {
  describe('at startup', () => {
    it.each([
      ['PORT', 'not-a-port'],
      ['DATABASE_URL', 'mysql://somewhere/db'],
      ['LOG_LEVEL', 'loud'],
      ['SEED_SAMPLE_DATA', 'maybe'],
    ])('refuses to start when %s is %j and names the variable', async (name, value) => {
      const app = spawnApp('api', { [name]: value });
      expect(await app.exited).toBe(1);
      const stderr = app.stderr.join('\n');
      expect(stderr).toContain('Invalid configuration');
      expect(stderr).toContain(`${name}:`);
    });
  });

  describe('with PostgreSQL', () => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(() => database.drop());

    it('writes JSON logs carrying the request id', async () => {
      const app = await startApiProcess({ DATABASE_URL: database.url });
      try {
        const response = await fetch(`${app.url}/catalog/products/TEA-ASSAM-250G`, {
          headers: { 'x-request-id': 'log-correlation-1' },
        });
        expect(response.headers.get('x-request-id')).toBe('log-correlation-1');
      } finally {
        expect(await app.stop()).toBe(0);
      }
      const lines = app.stdout.filter((line) => line.includes('log-correlation-1'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(JSON.parse(line)).toMatchObject({ requestId: 'log-correlation-1' });
      }
      expect(() => app.stdout.filter(Boolean).map((line) => JSON.parse(line))).not.toThrow();
    });

    it('runs the worker deployable: it starts, answers its health checks, and stops on SIGTERM with exit 0', async () => {
      const worker = await startWorkerProcess({ DATABASE_URL: database.url });
      expect(worker.stdout.some((line) => line.includes('Worker started'))).toBe(true);
      const ready = await fetch(`${worker.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
      // Its port serves the health checks and nothing else: no module's controller.
      expect((await fetch(`${worker.url}/catalog/products`)).status).toBe(404);
      expect(await worker.stop()).toBe(0);
    });

    it('finishes in-flight requests on SIGTERM, refuses new ones, and exits 0', async () => {
      const app = await startApiProcess({
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: '20',
        LOG_HTTP_REQUESTS: 'false',
        // HTTP only: the saga timer and the relays of this process would contend for the lock below too.
        BACKGROUND_WORK_IN: 'worker',
        // The machine is shared with other suites: shedding on event-loop delay (503 before the lock) is tested elsewhere.
        LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
      });
      // Hold every order insert on a table lock so that requests are provably in flight.
      const blocker = new Client({ connectionString: database.url });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE ordering.orders IN EXCLUSIVE MODE');

      const issuer = await testIssuer();
      const inFlight = Array.from({ length: 12 }, (_, i) =>
        fetch(`${app.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.tokenFor(`shutdown-${i}`)}` },
          body: JSON.stringify(order),
        }),
      );
      // Watched from a connection of its own: polled from inside the blocker's transaction, the
      // placements were seen to stall (the CI run of 2026-12-02).
      const observer = new Client({ connectionString: database.url });
      await observer.connect();
      await waitFor(async () => {
        const { rows } = await observer.query<{ n: string }>(
          // Placements only (the one statement inserting the order).
          `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE a.datname = current_database() AND NOT l.granted AND l.relation = 'ordering.orders'::regclass AND a.query ILIKE '%insert into%orders%'`,
        );
        // Every request waits on the lock: all twelve have been received, none is merely queued on a socket.
        return Number(rows[0]!.n) === 12;
      });

      await observer.end();
      app.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(fetch(`${app.url}/health/live`)).rejects.toThrow();

      await blocker.query('COMMIT');
      await blocker.end();

      const responses = await Promise.all(inFlight);
      expect(responses.map((response) => response.status)).toEqual(Array(12).fill(201));
      expect(await app.exited).toBe(0);
      expect(app.stdout.join('\n')).toContain('SIGTERM received');

      const check = new Client({ connectionString: database.url });
      await check.connect();
      const { rows } = await check.query<{ n: string }>(
        `SELECT count(*) AS n FROM ordering.orders WHERE customer_id LIKE 'shutdown-%'`,
      );
      await check.end();
      expect(Number(rows[0]!.n)).toBe(12);
    });
  });
});
