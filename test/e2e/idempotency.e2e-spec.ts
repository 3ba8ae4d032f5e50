import { queryDatabase } from '../support/test-database';
import { startTestApp, type TestApp } from '../support/test-app';

describe('POST /orders with an Idempotency-Key', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  /** Orders are placed for the token's subject: customer-7 unless a test says otherwise. */
  const as = (customerId = 'customer-7') => t.as(customerId);
  const body = {
    items: [
      { sku: 'COF-KENYA-250G', quantity: 2 },
      { sku: 'EQP-V60-02', quantity: 1 },
    ],
  };
  const ordersWithKey = async (key: string) =>
    queryDatabase<{ order_id: string }>(
      t.database.url,
      'SELECT order_id FROM ordering.idempotency_keys WHERE key = $1',
      [key],
    );
  const ordersOf = async (customerId: string) =>
    Number(
      (
        await queryDatabase<{ n: string }>(
          t.database.url,
          'SELECT count(*) AS n FROM ordering.orders WHERE customer_id = $1',
          [customerId],
        )
      )[0]!.n,
    );

  it('returns the same order for the same key and body', async () => {
    const first = await as().post('/orders').set('Idempotency-Key', 'same-key-same-body').send(body).expect(201);
    const second = await as().post('/orders').set('Idempotency-Key', 'same-key-same-body').send(body).expect(201);

    expect(second.body).toEqual(first.body);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await ordersWithKey('same-key-same-body')).toEqual([{ order_id: first.body.id }]);
  });

  it('treats the same body sent with other formatting and key order as the same request', async () => {
    const first = await as().post('/orders').set('Idempotency-Key', 'reformatted').send(body).expect(201);
    const reordered = `{\n  "items": [ {"quantity": 2, "sku": "COF-KENYA-250G"}, {"quantity": 1, "sku": "EQP-V60-02"} ]\n}`;
    const second = await as()
      .post('/orders')
      .set('Idempotency-Key', 'reformatted')
      .set('content-type', 'application/json')
      .send(reordered)
      .expect(201);
    expect(second.body.id).toBe(first.body.id);
  });

  it('answers 409 problem+json for the same key with another body, and writes nothing', async () => {
    await as().post('/orders').set('Idempotency-Key', 'key-then-other-body').send(body).expect(201);
    const other = { ...body, items: [{ sku: 'COF-KENYA-250G', quantity: 3 }] };
    const response = await as().post('/orders').set('Idempotency-Key', 'key-then-other-body').send(other).expect(409);

    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: '/problems/idempotency-key-reused', status: 409 });
    expect(await ordersWithKey('key-then-other-body')).toHaveLength(1);
  });

  it('answers 409 for the same key with another customer', async () => {
    await as().post('/orders').set('Idempotency-Key', 'key-other-customer').send(body).expect(201);
    await as('someone-else').post('/orders').set('Idempotency-Key', 'key-other-customer').send(body).expect(409);
  });

  it('answers 409, not 422, when a reused key comes with a body that breaks a rule', async () => {
    await as().post('/orders').set('Idempotency-Key', 'key-then-bad-body').send(body).expect(201);
    await as()
      .post('/orders')
      .set('Idempotency-Key', 'key-then-bad-body')
      .send({ ...body, items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] })
      .expect(409);
  });

  it('places one order for 20 concurrent requests with one key', async () => {
    const customerId = 'concurrent-customer';
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        as(customerId).post('/orders').set('Idempotency-Key', 'twenty-at-once').send(body),
      ),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
    expect(await ordersOf(customerId)).toBe(1);
  });

  it('places separate orders without a key', async () => {
    const customerId = 'no-key-customer';
    await as(customerId).post('/orders').send(body).expect(201);
    await as(customerId).post('/orders').send(body).expect(201);
    expect(await ordersOf(customerId)).toBe(2);
  });
});
