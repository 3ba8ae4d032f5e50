import { generateKeyPairSync, createHmac } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/test-app';
import { ADMIN_ROLE } from '../support/test-issuer';
import { deleteNamespace, startOwnRedisServer, TEST_REDIS_URL, uniqueNamespace } from '../support/test-redis';
import { waitFor } from '../support/wait-for';
import { freePort } from '../support/app-process';

/**
 * The OWASP API Security Top 10 items that apply to an order API, checked over HTTP against the
 * real app: authentication (API2), object-level authorization (API1), property-level
 * authorization / mass assignment (API3), function-level authorization (API5), resource
 * consumption (API4), misconfiguration (API8). docs/security.md maps each item to these tests.
 */
const ORDER = { items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] };
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Authentication: bearer JWTs verified against the issuer JWKS (API2)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const placeWith = (authorization: string | undefined) => {
    const post = t.http.post('/orders');
    return (authorization === undefined ? post : post.set('authorization', authorization)).send(ORDER);
  };

  it('accepts a valid token and takes the customer from its subject', async () => {
    const response = await placeWith(`Bearer ${t.issuer.tokenFor('customer-valid')}`).expect(201);
    expect(response.body.customerId).toBe('customer-valid');
  });

  it('answers 401 with a Bearer challenge when the token is missing', async () => {
    const response = await placeWith(undefined).expect(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="nest-modulith"');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: '/problems/unauthorized', status: 401 });
    expect(response.body.requestId).toBe(response.headers['x-request-id']);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const refused: [string, () => string][] = [
    ['a malformed header (not Bearer)', () => `Basic ${Buffer.from('alice:secret').toString('base64')}`],
    ['a malformed token (not a JWT)', () => 'Bearer not-a-jwt'],
    ['a token whose parts are not JSON', () => 'Bearer aaaa.bbbb.cccc'],
    ['an expired token', () => `Bearer ${t.issuer.sign({ sub: 'c', iat: now() - 3600, exp: now() - 60 })}`],
    ['a token not valid yet (nbf)', () => `Bearer ${t.issuer.sign({ sub: 'c', nbf: now() + 600 })}`],
    ['a token for another audience', () => `Bearer ${t.issuer.sign({ sub: 'c', aud: 'another-api' })}`],
    [
      'a token from another issuer',
      () => `Bearer ${t.issuer.sign({ sub: 'c', iss: 'https://evil.example/realms/x' })}`,
    ],
    ['a token without expiry', () => `Bearer ${t.issuer.sign({ sub: 'c', exp: undefined })}`],
    ['a token without subject', () => `Bearer ${t.issuer.sign({})}`],
    [
      'an unsigned token (alg: none)',
      () => {
        const claims = { sub: 'c', iss: t.issuer.issuer, aud: t.issuer.audience, exp: now() + 600 };
        return `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
      },
    ],
    [
      'an HS256 token keyed with the issuer public key (algorithm confusion)',
      () => {
        const claims = { sub: 'c', iss: t.issuer.issuer, aud: t.issuer.audience, exp: now() + 600 };
        const input = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`;
        const publicPem = t.issuer.publicKey.export({ format: 'pem', type: 'spki' });
        return `Bearer ${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
      },
    ],
    [
      'a token signed by another key under the issuer key id',
      () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return `Bearer ${t.issuer.sign({ sub: 'c' }, {}, privateKey)}`;
      },
    ],
    ['a token naming an unknown key id', () => `Bearer ${t.issuer.sign({ sub: 'c' }, { kid: 'unknown-key' })}`],
    [
      'a tampered token (claims changed after signing)',
      () => {
        const [header, , signature] = t.issuer.tokenFor('customer-a').split('.');
        const claims = {
          sub: 'customer-a',
          iss: t.issuer.issuer,
          aud: t.issuer.audience,
          exp: now() + 600,
          realm_access: { roles: [ADMIN_ROLE] },
        };
        return `Bearer ${header}.${base64url(claims)}.${signature}`;
      },
    ],
  ];

  it.each(refused)('refuses %s with 401 invalid_token and creates nothing', async (_, authorization) => {
    const response = await placeWith(authorization()).expect(401);
    expect(response.body).toMatchObject({ type: '/problems/unauthorized', status: 401 });
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (/^Bearer /.test(authorization()) || authorization().startsWith('Basic')) {
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="nest-modulith"/);
    }
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+|stack/i);
  });

  it('refuses a bad token even on a public route, so that a client learns its token is bad', async () => {
    await t.http.get('/catalog/products/TEA-SENCHA-100G').set('authorization', 'Bearer not-a-jwt').expect(401);
    await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
  });

  it('keeps 401 before validation: an anonymous bad body learns nothing about the schema', async () => {
    const response = await t.http.post('/orders').send({ nonsense: true }).expect(401);
    expect(response.body.errors).toBeUndefined();
  });
});

describe('Authentication when the issuer cannot be reached', () => {
  let t: TestApp;
  beforeAll(async () => {
    const closedPort = await freePort();
    t = await startTestApp({ AUTH_JWKS_URL: `http://127.0.0.1:${closedPort}/jwks.json` });
  });
  afterAll(() => t.close());

  it('answers 503, not 401: the token may be fine, the keys are unavailable', async () => {
    const response = await t.http
      .post('/orders')
      .set('authorization', `Bearer ${t.issuer.tokenFor('customer-x')}`)
      .send(ORDER)
      .expect(503);
    expect(response.body).toMatchObject({ type: '/problems/token-issuer-unavailable', status: 503 });
    expect(JSON.stringify(response.body)).not.toContain('ECONNREFUSED');
  });

  it('still serves public routes to anonymous callers', async () => {
    await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
  });
});

describe('Authorization: objects, properties and functions (API1, API3, API5)', () => {
  let t: TestApp;
  let aliceOrderId: string;
  beforeAll(async () => {
    t = await startTestApp();
    aliceOrderId = (await t.as('alice').post('/orders').send(ORDER).expect(201)).body.id;
  });
  afterAll(() => t.close());

  it("answers 404 to customer B reading customer A's order, exactly as for an order that does not exist", async () => {
    const other = await t.as('bob').get(`/orders/${aliceOrderId}`).expect(404);
    const unknown = await t.as('bob').get('/orders/00000000-0000-4000-8000-000000000000').expect(404);
    const shape = ({ type, title, status }: { type: string; title: string; status: number }) => ({
      type,
      title,
      status,
    });
    expect(shape(other.body)).toEqual(shape(unknown.body));
    expect(JSON.stringify(other.body)).not.toContain('alice');
  });

  it('lets the customer read their own order, and an admin read anybody’s', async () => {
    expect((await t.as('alice').get(`/orders/${aliceOrderId}`).expect(200)).body.customerId).toBe('alice');
    expect((await t.as('ops', { admin: true }).get(`/orders/${aliceOrderId}`).expect(200)).body.customerId).toBe(
      'alice',
    );
  });

  it('needs a token to read an order', async () => {
    await t.http.get(`/orders/${aliceOrderId}`).expect(401);
  });

  it('serves catalog and stock reads without a token', async () => {
    await t.http.get('/catalog/products?limit=2').expect(200);
    await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
    await t.http.get('/inventory/stock/TEA-SENCHA-100G').expect(200);
  });

  it.each([
    [
      'PATCH /catalog/products/:sku',
      (as: TestApp['as']) => as('alice').patch('/catalog/products/TEA-SENCHA-100G').send({ name: 'Hijacked' }),
    ],
    ['GET /orders/:id/fulfilment', (as: TestApp['as']) => as('alice').get(`/orders/${aliceOrderId}/fulfilment`)],
  ])('answers 403 to a customer calling the operator route %s', async (_, call) => {
    const response = await call(t.as).expect(403);
    expect(response.body).toMatchObject({ type: '/problems/forbidden', status: 403 });
  });

  it('lets an admin call the operator routes', async () => {
    // The saga of the order starts once its OrderPlaced is consumed: until then the view is a 404.
    await waitFor(
      async () => (await t.as('ops', { admin: true }).get(`/orders/${aliceOrderId}/fulfilment`)).status === 200,
    );
    const changed = await t
      .as('ops', { admin: true })
      .patch('/catalog/products/TEA-SENCHA-100G')
      .send({ description: 'Steamed green tea, first flush.' })
      .expect(200);
    expect(changed.body.description).toBe('Steamed green tea, first flush.');
    await t.http.patch('/catalog/products/TEA-SENCHA-100G').send({ description: 'x' }).expect(401);
  });

  it.each([
    ['customerId', { customerId: 'bob' }],
    ['status', { status: 'CONFIRMED' }],
    ['totalMinor', { totalMinor: 1 }],
    ['currency', { currency: 'USD' }],
    ['id', { id: '00000000-0000-4000-8000-000000000001' }],
  ])('rejects an order body that sets the server-computed %s (mass assignment)', async (field, extra) => {
    const response = await t
      .as('alice')
      .post('/orders')
      .send({ ...ORDER, ...extra })
      .expect(400);
    expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body' })]));
    expect(JSON.stringify(response.body.errors)).toContain(field);
  });

  it('rejects a line that sets its own unit price', async () => {
    const response = await t
      .as('alice')
      .post('/orders')
      .send({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1, unitPriceMinor: 1 }] })
      .expect(400);
    expect(JSON.stringify(response.body.errors)).toContain('unitPriceMinor');
  });

  it.each([
    ['sku', { sku: 'OTHER-SKU' }],
    ['currency', { currency: 'USD' }],
  ])('rejects a product change that sets %s, which is not changeable', async (field, body) => {
    const response = await t
      .as('ops', { admin: true })
      .patch('/catalog/products/TEA-SENCHA-100G')
      .send(body)
      .expect(400);
    expect(JSON.stringify(response.body.errors)).toContain(field);
  });
});

describe('Rate limits per client identity and per address, shared through Redis (API4, API6)', () => {
  const namespace = uniqueNamespace();
  const limits = { RATE_LIMIT_PER_IP: '5', RATE_LIMIT_PER_CLIENT: '8', RATE_LIMIT_WINDOW_MS: '60000' };
  let a: TestApp;
  let b: TestApp;
  let behindProxy: TestApp;
  beforeAll(async () => {
    const env = { ...limits, REDIS_URL: TEST_REDIS_URL, CACHE_NAMESPACE: namespace };
    a = await startTestApp(env);
    b = await startTestApp(env, { database: a.database });
    behindProxy = await startTestApp(
      { ...limits, REDIS_URL: TEST_REDIS_URL, CACHE_NAMESPACE: `${namespace}-proxy`, TRUSTED_PROXIES: '127.0.0.1' },
      { database: a.database },
    );
  });
  afterAll(async () => {
    await behindProxy.close();
    await b.close();
    await a.close();
    await deleteNamespace(namespace);
    await deleteNamespace(`${namespace}-proxy`);
  });

  const product = (app: TestApp, forwardedFor?: string) => {
    const get = app.http.get('/catalog/products/TEA-SENCHA-100G');
    return forwardedFor === undefined ? get : get.set('x-forwarded-for', forwardedFor);
  };

  it('counts anonymous requests per address across instances, then answers 429 with Retry-After', async () => {
    for (const app of [a, b, a, b, a]) {
      await product(app).expect(200);
    }
    const limited = await product(b).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ type: '/problems/too-many-requests', status: 429 });
    expect(limited.body.requestId).toBe(limited.headers['x-request-id']);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy: spoofed addresses stay limited', async () => {
    for (let i = 0; i < 5; i += 1) {
      await product(a, `198.51.100.${i + 1}, 203.0.113.${i + 1}`).expect(429);
    }
  });

  it('counts bad tokens against the address, so they cannot be used to dodge the limit', async () => {
    await a.http.get('/catalog/products/TEA-SENCHA-100G').set('authorization', 'Bearer not-a-jwt').expect(429);
  });

  it('counts a customer on their own budget, on every instance, whatever their address', async () => {
    for (let i = 0; i < 8; i += 1) {
      await (i % 2 ? a : b).as('rate-limited-customer').get('/catalog/products/TEA-SENCHA-100G').expect(200);
    }
    await a.as('rate-limited-customer').post('/orders').send(ORDER).expect(429);
    await b.as('another-customer').post('/orders').send(ORDER).expect(201);
  });

  it('behind a trusted proxy, takes the address the proxy saw, so forged entries to its left change nothing', async () => {
    for (let i = 0; i < 5; i += 1) {
      await product(behindProxy, `10.9.9.${i}, 203.0.113.77`).expect(200);
    }
    await product(behindProxy, '192.0.2.200, 203.0.113.77').expect(429);
    await product(behindProxy, '203.0.113.78').expect(200);
  });

  it('never limits health probes or the metrics scrape', async () => {
    for (let i = 0; i < 10; i += 1) {
      await a.http.get('/health/live').expect(200);
    }
    for (let i = 0; i < 10; i += 1) {
      expect((await a.http.get('/metrics')).status).not.toBe(429);
    }
  });
});

describe('Rate limits when Redis fails', () => {
  let t: TestApp;
  let redis: Awaited<ReturnType<typeof startOwnRedisServer>>;
  beforeAll(async () => {
    redis = await startOwnRedisServer();
    t = await startTestApp({ RATE_LIMIT_PER_IP: '3', REDIS_URL: redis.url, CACHE_NAMESPACE: uniqueNamespace() });
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('keeps serving and keeps limiting, per instance, while Redis is down', async () => {
    await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
    await redis.kill();
    for (let i = 0; i < 3; i += 1) {
      await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
    }
    await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(429);
  });
});

describe('Safe HTTP defaults (API8)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://shop.example' });
  });
  afterAll(() => t.close());

  it('sends the helmet headers', async () => {
    const response = await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringContaining('max-age='),
    });
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('allows only the configured browser origins', async () => {
    const allowed = await t.http
      .options('/orders')
      .set('origin', 'https://shop.example')
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization,content-type');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(allowed.headers['access-control-allow-headers']).toContain('authorization');

    const foreign = await t.http.get('/catalog/products/TEA-SENCHA-100G').set('origin', 'https://evil.example');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers at all when no origin is configured', async () => {
    const plain = await startTestApp({}, { database: t.database });
    try {
      const response = await plain.http.get('/catalog/products/TEA-SENCHA-100G').set('origin', 'https://shop.example');
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
