import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApiProcess } from '../support/app-process';

/**
 * The embedded mode is what `npm start` runs on a machine with nothing installed: no DATABASE_URL,
 * so PGlite in the process, migrated and seeded at boot.
 */
describe('Embedded mode (no DATABASE_URL)', () => {
  const order = { customerId: 'embedded-customer', items: [{ sku: 'COF-KENYA-250G', quantity: 2 }] };
  const placeOrder = (url: string) =>
    fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });

  it('places and reads an order on an in-memory database', async () => {
    const app = await startApiProcess({ PGLITE_DATA_DIR: 'memory://' });
    try {
      const placed = await placeOrder(app.url);
      expect(placed.status).toBe(201);
      const body = (await placed.json()) as { id: string; totalMinor: number; status: string };
      expect(body).toMatchObject({ status: 'PENDING', totalMinor: 2 * 1390, currency: 'EUR' });

      const read = await fetch(`${app.url}/orders/${body.id}`);
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual(body);

      const ready = await fetch(`${app.url}/health/ready`);
      expect(await ready.json()).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up', kind: 'embedded' } },
      });
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('keeps orders in its data directory across restarts', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'nest-modulith-pglite-'));
    try {
      const first = await startApiProcess({ PGLITE_DATA_DIR: dataDir });
      let id: string;
      try {
        const placed = await placeOrder(first.url);
        expect(placed.status).toBe(201);
        id = ((await placed.json()) as { id: string }).id;
      } finally {
        expect(await first.stop()).toBe(0);
      }

      const second = await startApiProcess({ PGLITE_DATA_DIR: dataDir });
      try {
        const read = await fetch(`${second.url}/orders/${id}`);
        expect(read.status).toBe(200);
        expect(second.stdout.join('\n')).toContain('Database schema is up to date');
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Two processes started and stopped one after the other, each compiling the app on the fly.
  }, 90_000);
});
