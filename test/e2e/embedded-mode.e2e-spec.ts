import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AppProcess, startApiProcess } from '../support/app-process';

/** A token from the api's development issuer (POST /dev/token), which the embedded mode runs. */
async function devToken(url: string, subject: string, roles: string[] = []): Promise<string> {
  const response = await fetch(`${url}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subject, roles }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
  expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  return body.access_token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The body has the items only: the customer is the token's subject. */
const order = { items: [{ sku: 'COF-KENYA-250G', quantity: 2 }] };
const placeOrder = (url: string, token?: string) =>
  fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : bearer(token)) },
    body: JSON.stringify(order),
  });

/**
 * The embedded mode is what `npm start` runs on a machine with nothing installed: no DATABASE_URL,
 * so PGlite in the process, migrated and seeded at boot, and the development issuer for tokens.
 */
describe('Embedded mode (no DATABASE_URL)', () => {
  describe('on an in-memory database', () => {
    let app: AppProcess;

    beforeAll(async () => {
      app = await startApiProcess({ PGLITE_DATA_DIR: 'memory://' });
    });
    afterAll(async () => {
      expect(await app.stop()).toBe(0);
    });

    it('places and reads an order with a token of its development issuer', async () => {
      const token = await devToken(app.url, 'embedded-customer');
      const placed = await placeOrder(app.url, token);
      expect(placed.status).toBe(201);
      const body = (await placed.json()) as { id: string; totalMinor: number; status: string };
      expect(body).toMatchObject({
        customerId: 'embedded-customer',
        status: 'PENDING',
        totalMinor: 2 * 1390,
        currency: 'EUR',
      });

      const read = await fetch(`${app.url}/orders/${body.id}`, { headers: bearer(token) });
      expect(read.status).toBe(200);
      // The saga runs in this process too and may have confirmed the order already.
      expect(await read.json()).toEqual({ ...body, status: expect.stringMatching(/^(PENDING|CONFIRMED)$/) });

      const ready = await fetch(`${app.url}/health/ready`);
      expect(await ready.json()).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up', kind: 'embedded' } },
      });
      expect(app.stdout.join('\n')).toContain('DEVELOPMENT ISSUER ACTIVE');
    });

    it('refuses POST /orders without a token (401) or with one it did not issue', async () => {
      const anonymous = await placeOrder(app.url);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);

      const token = await devToken(app.url, 'embedded-customer');
      const [header, payload] = token.split('.');
      const forged = await placeOrder(app.url, `${header}.${payload}.${'A'.repeat(86)}`);
      expect(forged.status).toBe(401);
      expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it("does not show a customer another customer's order (404), and shows any order to the admin role", async () => {
      const placed = await placeOrder(app.url, await devToken(app.url, 'customer-a'));
      expect(placed.status).toBe(201);
      const { id } = (await placed.json()) as { id: string };

      const byOther = await fetch(`${app.url}/orders/${id}`, {
        headers: bearer(await devToken(app.url, 'customer-b')),
      });
      expect(byOther.status).toBe(404);

      const admin = bearer(await devToken(app.url, 'embedded-operator', ['admin']));
      const byAdmin = await fetch(`${app.url}/orders/${id}`, { headers: admin });
      expect(byAdmin.status).toBe(200);
      expect(await byAdmin.json()).toMatchObject({ id, customerId: 'customer-a' });
    });
  });

  it('keeps orders in its data directory across restarts; a restart makes new signing keys', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'nest-modulith-pglite-'));
    try {
      const first = await startApiProcess({ PGLITE_DATA_DIR: dataDir });
      let id: string;
      let firstToken: string;
      try {
        firstToken = await devToken(first.url, 'embedded-customer');
        const placed = await placeOrder(first.url, firstToken);
        expect(placed.status).toBe(201);
        id = ((await placed.json()) as { id: string }).id;
      } finally {
        expect(await first.stop()).toBe(0);
      }

      const second = await startApiProcess({ PGLITE_DATA_DIR: dataDir });
      try {
        const read = await fetch(`${second.url}/orders/${id}`, {
          headers: bearer(await devToken(second.url, 'embedded-customer')),
        });
        expect(read.status).toBe(200);
        expect(second.stdout.join('\n')).toContain('Database schema is up to date');
        // The development issuer's keys live in memory only: the first process's tokens die with it.
        const stale = await fetch(`${second.url}/orders/${id}`, { headers: bearer(firstToken) });
        expect(stale.status).toBe(401);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Two processes started and stopped one after the other, each compiling the app on the fly.
  }, 90_000);
});
