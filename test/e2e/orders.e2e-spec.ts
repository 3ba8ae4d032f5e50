import { queryDatabase } from '../support/test-database';
import { startTestApp, type TestApp } from '../support/test-app';

const PROBLEM_JSON = /^application\/problem\+json/;

describe('Orders over HTTP (PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const orderCount = async () =>
    Number((await queryDatabase<{ n: string }>(t.database.url, 'SELECT count(*) AS n FROM ordering.orders'))[0]!.n);

  it('places an order priced from the catalog and reads it back', async () => {
    const placed = await t.http
      .post('/orders')
      .send({
        customerId: 'customer-1',
        items: [
          { sku: 'TEA-SENCHA-100G', quantity: 3 },
          { sku: 'EQP-CHASEN', quantity: 1 },
        ],
      })
      .expect(201);

    expect(placed.headers['location']).toBe(`/orders/${placed.body.id}`);
    expect(placed.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      customerId: 'customer-1',
      status: 'PENDING',
      items: [
        { sku: 'TEA-SENCHA-100G', quantity: 3, unitPriceMinor: 850 },
        { sku: 'EQP-CHASEN', quantity: 1, unitPriceMinor: 1590 },
      ],
      totalMinor: 3 * 850 + 1590,
      currency: 'EUR',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const read = await t.http.get(`/orders/${placed.body.id}`).expect(200);
    expect(read.body).toEqual(placed.body);
  });

  it('takes the price the catalog has at placement time', async () => {
    await t.http.patch('/catalog/products/TEA-MATCHA-30G').send({ priceMinor: 2600 }).expect(200);
    const placed = await t.http
      .post('/orders')
      .send({ customerId: 'customer-2', items: [{ sku: 'TEA-MATCHA-30G', quantity: 2 }] })
      .expect(201);
    expect(placed.body.items[0].unitPriceMinor).toBe(2600);
    expect(placed.body.totalMinor).toBe(5200);
  });

  it('answers 404 problem+json for an unknown order id', async () => {
    const response = await t.http.get('/orders/01a20101-1ff1-7459-8023-368506bbe576').expect(404);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ type: '/problems/not-found', status: 404 });
  });

  it('answers 400 problem+json for an id that is not a UUID', async () => {
    const response = await t.http.get('/orders/42').expect(400);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body.errors).toEqual([{ in: 'path', field: 'id', message: 'must be a UUID' }]);
  });

  describe('rejects bad input with a 4xx problem and writes nothing', () => {
    const valid = { customerId: 'customer-1', items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] };
    const withItems = (items: unknown) => JSON.stringify({ customerId: 'customer-1', items });

    const cases: [string, string, string | undefined, number, string, string?][] = [
      ['malformed JSON', '{"customerId": "c", "items": [', 'application/json', 400, '/problems/malformed-json'],
      ['an empty body', '', 'application/json', 400, '/problems/malformed-json'],
      ['a JSON array', '[]', 'application/json', 400, '/problems/validation-failed', '(root)'],
      [
        'a body that is not JSON',
        'customerId=c',
        'application/x-www-form-urlencoded',
        415,
        '/problems/unsupported-media-type',
      ],
      [
        'an unknown field',
        JSON.stringify({ ...valid, discount: 100 }),
        'application/json',
        400,
        '/problems/validation-failed',
        'discount',
      ],
      [
        'a server-computed field',
        JSON.stringify({ ...valid, totalMinor: 1 }),
        'application/json',
        400,
        '/problems/validation-failed',
        'totalMinor',
      ],
      [
        'an unknown field in a line',
        withItems([{ sku: 'TEA-SENCHA-100G', quantity: 1, unitPriceMinor: 1 }]),
        'application/json',
        400,
        '/problems/validation-failed',
        'items.0.unitPriceMinor',
      ],
      [
        'a missing customerId',
        JSON.stringify({ items: valid.items }),
        'application/json',
        400,
        '/problems/validation-failed',
        'customerId',
      ],
      [
        'a numeric customerId',
        JSON.stringify({ ...valid, customerId: 7 }),
        'application/json',
        400,
        '/problems/validation-failed',
        'customerId',
      ],
      [
        'items that are not a list',
        withItems('TEA-SENCHA-100G'),
        'application/json',
        400,
        '/problems/validation-failed',
        'items',
      ],
      ['empty items', withItems([]), 'application/json', 400, '/problems/validation-failed', 'items'],
      [
        '51 lines',
        withItems(Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, quantity: 1 }))),
        'application/json',
        400,
        '/problems/validation-failed',
        'items',
      ],
      [
        'a zero quantity',
        withItems([{ sku: 'TEA-SENCHA-100G', quantity: 0 }]),
        'application/json',
        400,
        '/problems/validation-failed',
        'items.0.quantity',
      ],
      [
        'a negative quantity',
        withItems([{ sku: 'TEA-SENCHA-100G', quantity: -3 }]),
        'application/json',
        400,
        '/problems/validation-failed',
        'items.0.quantity',
      ],
      [
        'a fractional quantity',
        withItems([{ sku: 'TEA-SENCHA-100G', quantity: 1.5 }]),
        'application/json',
        400,
        '/problems/validation-failed',
        'items.0.quantity',
      ],
      [
        'a quantity over 1000',
        withItems([{ sku: 'TEA-SENCHA-100G', quantity: 1001 }]),
        'application/json',
        400,
        '/problems/validation-failed',
        'items.0.quantity',
      ],
      [
        'a huge quantity',
        '{"customerId":"c","items":[{"sku":"TEA-SENCHA-100G","quantity":1e308}]}',
        'application/json',
        400,
        '/problems/validation-failed',
        'items.0.quantity',
      ],
      [
        'a quantity as a string',
        withItems([{ sku: 'TEA-SENCHA-100G', quantity: '2' }]),
        'application/json',
        400,
        '/problems/validation-failed',
        'items.0.quantity',
      ],
      [
        'a missing sku',
        withItems([{ quantity: 2 }]),
        'application/json',
        400,
        '/problems/validation-failed',
        'items.0.sku',
      ],
      [
        'a __proto__ key',
        '{"customerId":"c","items":[{"sku":"TEA-SENCHA-100G","quantity":1}],"__proto__":{"isAdmin":true}}',
        'application/json',
        400,
        '/problems/forbidden-property',
      ],
      [
        'a constructor.prototype key',
        '{"customerId":"c","items":[],"constructor":{"prototype":{"x":1}}}',
        'application/json',
        400,
        '/problems/forbidden-property',
      ],
      [
        'an unknown sku',
        withItems([{ sku: 'NO-SUCH-SKU', quantity: 1 }]),
        'application/json',
        422,
        '/problems/ordered-product-must-exist',
      ],
      [
        'a repeated sku',
        withItems([
          { sku: 'TEA-SENCHA-100G', quantity: 1 },
          { sku: 'TEA-SENCHA-100G', quantity: 2 },
        ]),
        'application/json',
        422,
        '/problems/order-lines-must-have-distinct-skus',
      ],
      [
        'two currencies',
        withItems([
          { sku: 'TEA-SENCHA-100G', quantity: 1 },
          { sku: 'IMP-KONA-250G', quantity: 1 },
        ]),
        'application/json',
        422,
        '/problems/order-must-be-in-one-currency',
      ],
    ];

    it.each(
      cases.map(([name, body, contentType, status, type, field]) => ({ name, body, contentType, status, type, field })),
    )('$name', async ({ body, contentType, status, type, field }) => {
      const before = await orderCount();
      let call = t.http.post('/orders');
      if (contentType) {
        call = call.set('content-type', contentType);
      }
      const response = await call.send(body);

      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body).toMatchObject({ type, status, title: expect.any(String), requestId: expect.any(String) });
      expect(JSON.stringify(response.body)).not.toMatch(/at .+\.(ts|js):\d+/);
      if (field) {
        expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      }
      expect(await orderCount()).toBe(before);
    });

    it('an oversized body (413)', async () => {
      const before = await orderCount();
      const huge = JSON.stringify({ customerId: 'c', items: [{ sku: 'x'.repeat(200_000), quantity: 1 }] });
      const response = await t.http.post('/orders').set('content-type', 'application/json').send(huge);
      expect(response.status).toBe(413);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body).toMatchObject({ type: '/problems/payload-too-large', status: 413 });
      expect(await orderCount()).toBe(before);
    });

    it('an invalid Idempotency-Key header', async () => {
      const before = await orderCount();
      const response = await t.http.post('/orders').set('Idempotency-Key', 'x'.repeat(256)).send(valid).expect(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ in: 'header', field: 'Idempotency-Key' })]);
      expect(await orderCount()).toBe(before);
    });
  });

  it('echoes a sane X-Request-Id and puts it in problem bodies', async () => {
    const response = await t.http.get('/orders/nope').set('x-request-id', 'trace-me-123').expect(400);
    expect(response.headers['x-request-id']).toBe('trace-me-123');
    expect(response.body.requestId).toBe('trace-me-123');
  });
});
