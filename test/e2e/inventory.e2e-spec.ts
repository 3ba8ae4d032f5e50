import { startTestApp, type TestApp } from '../support/test-app';

const PROBLEM_JSON = /^application\/problem\+json/;

describe('Inventory over HTTP (PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers the seeded stock of a sku', async () => {
    const response = await t.http.get('/inventory/stock/TEA-SENCHA-100G').expect(200);
    expect(response.body).toEqual({ sku: 'TEA-SENCHA-100G', available: 100, reserved: 0 });
  });

  it.each([
    ['TEA-MATCHA-30G', 3],
    ['COF-GEISHA-100G', 1],
    ['GFT-CARD-50', 0],
  ])('seeds %s scarce on purpose: %d available', async (sku, available) => {
    const response = await t.http.get(`/inventory/stock/${sku}`).expect(200);
    expect(response.body).toEqual({ sku, available, reserved: 0 });
  });

  it('seeds stock for every product of the catalog (the catalog was seeded first)', async () => {
    const skus: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string | number> = cursor ? { limit: 100, cursor } : { limit: 100 };
      const page = await t.http.get('/catalog/products').query(query).expect(200);
      skus.push(...page.body.items.map((product: { sku: string }) => product.sku));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(skus.length).toBeGreaterThanOrEqual(50);
    for (const sku of skus) {
      const response = await t.http.get(`/inventory/stock/${encodeURIComponent(sku)}`);
      expect([sku, response.status]).toEqual([sku, 200]);
    }
  });

  it.each(['NO-SUCH-SKU', 'tea-sencha-100g', 'x'.repeat(100)])(
    'answers 404 problem+json for the unknown sku %s',
    async (sku) => {
      const response = await t.http.get(`/inventory/stock/${sku}`).expect(404);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body).toMatchObject({ type: '/problems/not-found', status: 404 });
      expect(response.body.detail).toContain(sku);
    },
  );

  it('answers 414 problem+json for a path parameter longer than the router accepts', async () => {
    const response = await t.http.get(`/inventory/stock/${'x'.repeat(300)}`).expect(414);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ status: 414, type: '/problems/uri-too-long' });
  });

  it('has no other route: listing and writing stock are not part of the API', async () => {
    await t.http.get('/inventory/stock').expect(404);
    await t.http.put('/inventory/stock/TEA-SENCHA-100G').send({ available: 5 }).expect(404);
  });

  it('documents the route in the OpenAPI document, with the stock shape and the 404', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/inventory'))).toEqual([
      '/inventory/stock/{sku}',
    ]);
    const route = document.paths['/inventory/stock/{sku}'].get;
    expect(Object.keys(route.responses).sort()).toEqual(['200', '404']);
    expect(JSON.stringify(route.responses['200'])).toContain('"available"');
  });
});
