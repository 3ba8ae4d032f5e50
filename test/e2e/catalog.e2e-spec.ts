import { startTestApp, type TestApp } from '../support/test-app';

const PROBLEM_JSON = /^application\/problem\+json/;

describe('Catalog over HTTP (PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  /** An operator: changing a product needs the admin role. */
  const admin = () => t.as('ops', { admin: true });

  it('pages through the whole seeded catalog, at least 50 products, each once, in sku order', async () => {
    const skus: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string | number> = cursor ? { limit: 7, cursor } : { limit: 7 };
      const page = await t.http.get('/catalog/products').query(query).expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(7);
      skus.push(...page.body.items.map((product: { sku: string }) => product.sku));
      cursor = page.body.nextCursor;
    } while (cursor);

    expect(skus.length).toBeGreaterThanOrEqual(50);
    expect(new Set(skus).size).toBe(skus.length);
    expect([...skus].sort()).toEqual(skus);
  });

  it('returns 20 products by default with the product shape', async () => {
    const page = await t.http.get('/catalog/products').expect(200);
    expect(page.body.items).toHaveLength(20);
    expect(page.body.items[0]).toEqual({
      sku: expect.any(String),
      name: expect.any(String),
      description: expect.any(String),
      priceMinor: expect.any(Number),
      currency: expect.stringMatching(/^[A-Z]{3}$/),
    });
    expect(typeof page.body.nextCursor).toBe('string');
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['cursor=not-a-cursor', 'cursor'],
    ['sort=name', 'sort'],
  ])('rejects ?%s with a field error', async (query, field) => {
    const response = await t.http.get(`/catalog/products?${query}`).expect(400);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body.errors).toEqual([expect.objectContaining({ in: 'query', field })]);
  });

  it('returns one product by sku', async () => {
    const response = await t.http.get('/catalog/products/TEA-GYOKURO-50G').expect(200);
    expect(response.body).toEqual({
      sku: 'TEA-GYOKURO-50G',
      name: 'Gyokuro, 50 g',
      description: 'Shade-grown green tea with a deep umami taste.',
      priceMinor: 1890,
      currency: 'EUR',
    });
  });

  it.each(['NO-SUCH-SKU', 'tea-gyokuro-50g', 'x'.repeat(100)])(
    'answers 404 problem+json for the unknown sku %s',
    async (sku) => {
      const response = await t.http.get(`/catalog/products/${sku}`).expect(404);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body).toMatchObject({ type: '/problems/not-found', status: 404 });
    },
  );

  it('answers 414 problem+json for a path parameter longer than the router accepts', async () => {
    const response = await t.http.get(`/catalog/products/${'x'.repeat(300)}`).expect(414);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ status: 414, type: '/problems/uri-too-long' });
  });

  describe('PATCH /catalog/products/:sku', () => {
    it('changes name, description and price, and later reads see the change', async () => {
      const changed = await admin()
        .patch('/catalog/products/TEA-HOJICHA-100G')
        .send({ name: 'Hojicha Gold, 100 g', description: 'Roasted over charcoal.', priceMinor: 990 })
        .expect(200);
      expect(changed.body).toEqual({
        sku: 'TEA-HOJICHA-100G',
        name: 'Hojicha Gold, 100 g',
        description: 'Roasted over charcoal.',
        priceMinor: 990,
        currency: 'EUR',
      });
      const read = await t.http.get('/catalog/products/TEA-HOJICHA-100G').expect(200);
      expect(read.body).toEqual(changed.body);
    });

    it('changes only the fields given', async () => {
      const before = (await t.http.get('/catalog/products/TEA-ROOIBOS-100G')).body;
      const changed = await admin().patch('/catalog/products/TEA-ROOIBOS-100G').send({ priceMinor: 650 }).expect(200);
      expect(changed.body).toEqual({ ...before, priceMinor: 650 });
    });

    it.each<[string, unknown, string]>([
      ['an empty change', {}, '(root)'],
      ['a negative price', { priceMinor: -1 }, 'priceMinor'],
      ['a fractional price', { priceMinor: 9.99 }, 'priceMinor'],
      ['a price as a string', { priceMinor: '990' }, 'priceMinor'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a currency change', { currency: 'USD' }, 'currency'],
      ['a sku change', { sku: 'OTHER' }, 'sku'],
    ])('rejects %s and changes nothing', async (_case, change, field) => {
      const before = (await t.http.get('/catalog/products/TEA-CHAMOMILE-50G')).body;
      const response = await admin()
        .patch('/catalog/products/TEA-CHAMOMILE-50G')
        .send(change as object)
        .expect(400);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect((await t.http.get('/catalog/products/TEA-CHAMOMILE-50G')).body).toEqual(before);
    });

    it('answers 404 for an unknown sku', async () => {
      await admin().patch('/catalog/products/NO-SUCH-SKU').send({ priceMinor: 1 }).expect(404);
    });
  });
});
