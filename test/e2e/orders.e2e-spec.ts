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
    const placed = await t
      .as('customer-1')
      .post('/orders')
      .send({
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

    const read = await t.as('customer-1').get(`/orders/${placed.body.id}`).expect(200);
    // The saga runs in this app too and may have confirmed the order already.
    expect(read.body).toEqual({ ...placed.body, status: expect.stringMatching(/^(PENDING|CONFIRMED)$/) });
  });

  it('takes the price the catalog has at placement time', async () => {
    await t.as('ops', { admin: true }).patch('/catalog/products/TEA-MATCHA-30G').send({ priceMinor: 2600 }).expect(200);
    const placed = await t
      .as('customer-2')
      .post('/orders')
      .send({ items: [{ sku: 'TEA-MATCHA-30G', quantity: 2 }] })
      .expect(201);
    expect(placed.body.items[0].unitPriceMinor).toBe(2600);
    expect(placed.body.totalMinor).toBe(5200);
  });

  it('answers 404 problem+json for an unknown order id', async () => {
    const response = await t.as('customer-1').get('/orders/01a20101-1ff1-7459-8023-368506bbe576').expect(404);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ type: '/problems/not-found', status: 404 });
  });

  it('answers 400 problem+json for an id that is not a UUID', async () => {
    const response = await t.as('customer-1').get('/orders/42').expect(400);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body.errors).toEqual([{ in: 'path', field: 'id', message: 'must be a UUID' }]);
  });

  describe('rejects bad input with a 4xx problem and writes nothing', () => {
    // The customer is the token's subject: every request below is sent with a valid token.
    const customer = () => t.as('customer-1');
    const valid = { items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] };
    const withItems = (items: unknown) => JSON.stringify({ items });

    const line = (sku: string, quantity: unknown) => ({ sku, quantity });
    const tea = (quantity: unknown) => withItems([line('TEA-SENCHA-100G', quantity)]);
    const validation = '/problems/validation-failed';
    const cases: { name: string; body: string; status: number; type: string; field?: string; contentType?: string }[] =
      [
        {
          name: 'malformed JSON',
          body: '{"items": [{"sku": "TEA-SENCHA-100G",',
          status: 400,
          type: '/problems/malformed-json',
        },
        { name: 'an empty body', body: '', status: 400, type: '/problems/malformed-json' },
        { name: 'a JSON array', body: '[]', status: 400, type: validation, field: '(root)' },
        {
          name: 'a body that is not JSON',
          body: 'items=TEA-SENCHA-100G',
          contentType: 'application/x-www-form-urlencoded',
          status: 415,
          type: '/problems/unsupported-media-type',
        },
        {
          name: 'an unknown field',
          body: JSON.stringify({ ...valid, discount: 100 }),
          status: 400,
          type: validation,
          field: 'discount',
        },
        {
          name: 'a server-computed field',
          body: JSON.stringify({ ...valid, totalMinor: 1 }),
          status: 400,
          type: validation,
          field: 'totalMinor',
        },
        {
          name: 'an unknown field in a line',
          body: withItems([{ ...line('TEA-SENCHA-100G', 1), unitPriceMinor: 1 }]),
          status: 400,
          type: validation,
          field: 'items.0.unitPriceMinor',
        },
        {
          name: "a customerId (the customer is the token's subject)",
          body: JSON.stringify({ ...valid, customerId: 'customer-1' }),
          status: 400,
          type: validation,
          field: 'customerId',
        },
        {
          name: 'a numeric customerId',
          body: JSON.stringify({ ...valid, customerId: 7 }),
          status: 400,
          type: validation,
          field: 'customerId',
        },
        {
          name: 'items that are not a list',
          body: withItems('TEA-SENCHA-100G'),
          status: 400,
          type: validation,
          field: 'items',
        },
        { name: 'empty items', body: withItems([]), status: 400, type: validation, field: 'items' },
        {
          name: '51 lines',
          body: withItems(Array.from({ length: 51 }, (_, i) => line(`S${i}`, 1))),
          status: 400,
          type: validation,
          field: 'items',
        },
        { name: 'a zero quantity', body: tea(0), status: 400, type: validation, field: 'items.0.quantity' },
        { name: 'a negative quantity', body: tea(-3), status: 400, type: validation, field: 'items.0.quantity' },
        { name: 'a fractional quantity', body: tea(1.5), status: 400, type: validation, field: 'items.0.quantity' },
        { name: 'a quantity over 1000', body: tea(1001), status: 400, type: validation, field: 'items.0.quantity' },
        {
          name: 'a huge quantity',
          body: '{"items":[{"sku":"TEA-SENCHA-100G","quantity":1e308}]}',
          status: 400,
          type: validation,
          field: 'items.0.quantity',
        },
        { name: 'a quantity as a string', body: tea('2'), status: 400, type: validation, field: 'items.0.quantity' },
        {
          name: 'a missing sku',
          body: withItems([{ quantity: 2 }]),
          status: 400,
          type: validation,
          field: 'items.0.sku',
        },
        {
          name: 'a __proto__ key',
          body: '{"items":[{"sku":"TEA-SENCHA-100G","quantity":1}],"__proto__":{"isAdmin":true}}',
          status: 400,
          type: '/problems/forbidden-property',
        },
        {
          name: 'a constructor.prototype key',
          body: '{"items":[],"constructor":{"prototype":{"x":1}}}',
          status: 400,
          type: '/problems/forbidden-property',
        },
        {
          name: 'an unknown sku',
          body: withItems([line('NO-SUCH-SKU', 1)]),
          status: 422,
          type: '/problems/ordered-product-must-exist',
        },
        {
          name: 'a repeated sku',
          body: withItems([line('TEA-SENCHA-100G', 1), line('TEA-SENCHA-100G', 2)]),
          status: 422,
          type: '/problems/order-lines-must-have-distinct-skus',
        },
        {
          name: 'two currencies',
          body: withItems([line('TEA-SENCHA-100G', 1), line('IMP-KONA-250G', 1)]),
          status: 422,
          type: '/problems/order-must-be-in-one-currency',
        },
      ];

    it.each(cases)('$name', async ({ body, contentType = 'application/json', status, type, field }) => {
      const before = await orderCount();
      const response = await customer().post('/orders').set('content-type', contentType).send(body);

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
      const huge = JSON.stringify({ items: [{ sku: 'x'.repeat(200_000), quantity: 1 }] });
      const response = await customer().post('/orders').set('content-type', 'application/json').send(huge);
      expect(response.status).toBe(413);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body).toMatchObject({ type: '/problems/payload-too-large', status: 413 });
      expect(await orderCount()).toBe(before);
    });

    it('an invalid Idempotency-Key header', async () => {
      const before = await orderCount();
      const response = await customer().post('/orders').set('Idempotency-Key', 'x'.repeat(256)).send(valid).expect(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ in: 'header', field: 'Idempotency-Key' })]);
      expect(await orderCount()).toBe(before);
    });
  });

  it('echoes a sane X-Request-Id and puts it in problem bodies', async () => {
    const response = await t.as('customer-1').get('/orders/nope').set('x-request-id', 'trace-me-123').expect(400);
    expect(response.headers['x-request-id']).toBe('trace-me-123');
    expect(response.body.requestId).toBe('trace-me-123');
  });
});
