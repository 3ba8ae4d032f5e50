import { startTestApp, type TestApp } from '../support/test-app';

describe('Platform routes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('GET /health/live answers 200', async () => {
    const response = await t.http.get('/health/live').expect(200);
    expect(response.body.status).toBe('ok');
  });

  it('GET /health/ready reports the database', async () => {
    const response = await t.http.get('/health/ready').expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: {
        database: { status: 'up', kind: 'postgres' },
        breakers: { status: 'up', 'message-broker': 'closed', degraded: [] },
        // No REDIS_URL here: the cache is L1 only (test/integration/cache.e2e-spec.ts has Redis up and down).
        cache: { status: 'up', redis: 'not configured' },
        lifecycle: { status: 'up', state: 'serving' },
      },
    });
  });

  it('GET /docs-json is an OpenAPI document generated from the code', async () => {
    const response = await t.http.get('/docs-json').expect(200);
    const document = response.body;
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/orders',
        '/orders/{id}',
        '/catalog/products',
        '/catalog/products/{sku}',
        '/health/ready',
      ]),
    );
    const placeOrder = document.paths['/orders'].post;
    const requestSchema = placeOrder.requestBody.content['application/json'].schema;
    // The customer is the bearer token's subject, not a field of the body.
    expect(requestSchema).toMatchObject({ type: 'object', required: ['items'], additionalProperties: false });
    expect(Object.keys(requestSchema.properties)).toEqual(['items']);
    expect(requestSchema.properties.items).toMatchObject({ minItems: 1, maxItems: 50 });
    expect(placeOrder.responses['201']).toBeDefined();
    expect(placeOrder.responses['401'].content['application/problem+json']).toBeDefined();
    expect(placeOrder.responses['409'].content['application/problem+json']).toBeDefined();
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Closed by default (document-wide bearer), open where the route is public.
    expect(document.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/catalog/products/{sku}'].get.security).toEqual([{}]);
    expect(document.paths['/health/live'].get.security).toEqual([{}]);
    expect(document.paths['/orders'].post.security).toBeUndefined();
  });

  it('GET /docs serves the OpenAPI UI', async () => {
    const response = await t.http.get('/docs').redirects(1).expect(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toContain('swagger');
  });

  it('sets the helmet security headers', async () => {
    const response = await t.http.get('/health/live');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('answers unknown routes with 404 problem+json', async () => {
    const response = await t.http.get('/no/such/route').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, type: '/problems/not-found' });
  });
});
