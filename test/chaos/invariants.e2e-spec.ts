import path from 'node:path';
import { applyMigrations, PostgresConnection } from '@platform/database';
import { Client } from 'pg';
import { type Charge, checkInvariants, type RunFacts, subscriptionsFromAsyncApi } from '../../scripts/chaos/invariants';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const ROOT = path.resolve(__dirname, '../..');
const CONFIRMED = '01a23600-0000-7000-8000-000000000001';
const CANCELLED = '01a23600-0000-7000-8000-000000000002';
const PLACED = '0b1e5e1d-0000-4000-8000-000000000001';

/**
 * The chaos run is only as good as its checks: each invariant must hold on books that are right,
 * and break, naming the culprit, on books that are wrong in its particular way.
 */
describe('Chaos invariants', () => {
  let database: TestDatabase;
  let sql: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    const connection = PostgresConnection.open(database.url, 1, 'invariants-test');
    await applyMigrations(connection, path.join(ROOT, 'prisma'), { log: () => undefined });
    await connection.close();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.end();
    await database.drop();
  });

  /** Two orders of sku A (10 units before): one confirmed holding 2 units and charged 500, one cancelled. */
  beforeEach(async () => {
    await sql.query(
      `TRUNCATE ordering.orders, ordering.outbox, ordering.inbox, ordering.inbox_dead_letters, inventory.stock, inventory.reservations CASCADE`,
    );
    await sql.query(`INSERT INTO inventory.stock (sku, available, reserved) VALUES ('A', 8, 2)`);
    await sql.query(
      `INSERT INTO ordering.orders (id, customer_id, status, currency, total_minor, cancellation_reason) VALUES
         ($1, 'c1', 'CONFIRMED', 'EUR', 500, NULL), ($2, 'c2', 'CANCELLED', 'EUR', 250, 'OUT_OF_STOCK')`,
      [CONFIRMED, CANCELLED],
    );
    await sql.query(
      `INSERT INTO ordering.order_lines (order_id, line_no, sku, quantity, unit_price_minor) VALUES
         ($1, 1, 'A', 2, 250), ($2, 1, 'A', 1, 250)`,
      [CONFIRMED, CANCELLED],
    );
    const history = (steps: string[]) =>
      JSON.stringify(steps.map((step, n) => ({ at: new Date(n * 1000).toISOString(), input: `input-${n}`, step })));
    await sql.query(
      `INSERT INTO ordering.fulfilment_sagas (order_id, step, cancellation_reason, order_terms, history) VALUES
         ($1, 'CONFIRMED', NULL, '{}', $3), ($2, 'CANCELLED', 'OUT_OF_STOCK', '{}', $4)`,
      [
        CONFIRMED,
        CANCELLED,
        history(['AWAITING_STOCK', 'AWAITING_PAYMENT', 'CONFIRMED']),
        history(['AWAITING_STOCK', 'CANCELLED']),
      ],
    );
    await sql.query(`INSERT INTO inventory.reservations (order_id, status) VALUES ($1, 'RESERVED')`, [CONFIRMED]);
    await sql.query(
      `INSERT INTO inventory.reservation_lines (order_id, line_no, sku, quantity) VALUES ($1, 1, 'A', 2)`,
      [CONFIRMED],
    );
    await sql.query(
      `INSERT INTO ordering.outbox (event_id, event_type, source, subject, occurred_at, payload, status, published_at)
       VALUES ($1, 'ordering.order-placed.v1', '/ordering', $2, now(), '{}', 'PUBLISHED', now())`,
      [PLACED, CONFIRMED],
    );
    await sql.query(
      `INSERT INTO ordering.inbox (consumer, message_id) VALUES ('ordering.fulfilment.order-placed', $1)`,
      [PLACED],
    );
  });

  const facts = (overrides: Partial<RunFacts> = {}): RunFacts => ({
    accepted: [CONFIRMED, CANCELLED],
    stockBefore: new Map([['A', { available: 10, reserved: 0 }]]),
    charges: [{ reference: CONFIRMED, captureId: 'cap-1', amountMinor: 500 }],
    refunds: [],
    subscriptions: [
      { consumer: 'ordering.fulfilment.order-placed', schema: 'ordering', type: 'ordering.order-placed.v1' },
    ],
    ...overrides,
  });
  const broken = async (overrides: Partial<RunFacts> = {}) =>
    (await checkInvariants(sql, facts(overrides))).filter((result) => !result.holds).map((result) => result.name);

  it('all hold on books that are right', async () => {
    const results = await checkInvariants(sql, facts());
    expect(results.map((result) => [result.name, result.holds])).toEqual([
      ['every order final', true],
      ['no sku oversold', true],
      ['stock conserved', true],
      ['no order charged twice', true],
      ['no event lost', true],
      ['no effect applied twice', true],
    ]);
  });

  it('every order final: breaks on an order still pending, and on an accepted order that was never stored', async () => {
    await sql.query(`UPDATE ordering.orders SET status = 'PENDING', cancellation_reason = NULL WHERE id = $1`, [
      CANCELLED,
    ]);
    expect(await broken()).toEqual(['every order final']);
    await sql.query(
      `UPDATE ordering.orders SET status = 'CANCELLED', cancellation_reason = 'OUT_OF_STOCK' WHERE id = $1`,
      [CANCELLED],
    );
    expect(await broken({ accepted: [CONFIRMED, CANCELLED, '01a23600-0000-7000-8000-0000000000ff'] })).toEqual([
      'every order final',
    ]);
  });

  it('no sku oversold and stock conserved: break when confirmed orders hold more than there was', async () => {
    await sql.query(`UPDATE ordering.order_lines SET quantity = 12 WHERE order_id = $1`, [CONFIRMED]);
    await sql.query(`UPDATE inventory.reservation_lines SET quantity = 12 WHERE order_id = $1`, [CONFIRMED]);
    expect(await broken()).toEqual(['no sku oversold', 'stock conserved']);
  });

  it('stock conserved: breaks when a unit appears or disappears', async () => {
    await sql.query(`UPDATE inventory.stock SET available = 9 WHERE sku = 'A'`);
    expect(await broken()).toEqual(['stock conserved']);
  });

  it('no order charged twice: breaks on a second charge, a charge kept by a cancelled order, a capture refunded twice', async () => {
    const second: Charge = { reference: CONFIRMED, captureId: 'cap-2', amountMinor: 500 };
    expect(await broken({ charges: [...facts().charges, second] })).toEqual([
      'no order charged twice',
      'no effect applied twice',
    ]);
    const kept: Charge = { reference: CANCELLED, captureId: 'cap-3', amountMinor: 250 };
    expect(await broken({ charges: [...facts().charges, kept] })).toEqual(['no order charged twice']);
    const refunded: Charge = { ...kept, refundId: 'ref-1' };
    expect(await broken({ charges: [...facts().charges, refunded] })).toEqual([]);
    expect(
      await broken({
        charges: [...facts().charges, refunded],
        refunds: [
          { captureId: 'cap-3', reference: CANCELLED },
          { captureId: 'cap-3', reference: CANCELLED },
        ],
      }),
    ).toEqual(['no order charged twice']);
  });

  it('no event lost: breaks on an event never published, one a consumer never recorded, a dead letter', async () => {
    await sql.query(`UPDATE ordering.outbox SET status = 'PENDING', published_at = NULL`);
    expect(await broken()).toEqual(['no event lost']);
    await sql.query(`UPDATE ordering.outbox SET status = 'PUBLISHED', published_at = now()`);
    await sql.query(`DELETE FROM ordering.inbox`);
    const [lost] = (await checkInvariants(sql, facts())).filter((result) => !result.holds);
    expect(lost).toMatchObject({
      name: 'no event lost',
      detail: expect.stringContaining('ordering.fulfilment.order-placed lacks 1 of 1'),
    });
    await sql.query(
      `INSERT INTO ordering.inbox (consumer, message_id) VALUES ('ordering.fulfilment.order-placed', $1)`,
      [PLACED],
    );
    await sql.query(
      `INSERT INTO ordering.inbox_dead_letters (consumer, message_id, event, error, attempts) VALUES ('x', $1, '{}', 'boom', 10)`,
      [PLACED],
    );
    expect(await broken()).toEqual(['no event lost']);
  });

  it('no effect applied twice: breaks on a saga that finished twice, and a reservation that differs from its order', async () => {
    await sql.query(
      `UPDATE ordering.fulfilment_sagas SET history = history || '[{"input":"again","step":"AWAITING_PAYMENT"},{"input":"again","step":"CONFIRMED"}]'::jsonb
       WHERE order_id = $1`,
      [CONFIRMED],
    );
    expect(await broken()).toEqual(['no effect applied twice']);
    await sql.query(`UPDATE ordering.fulfilment_sagas SET history = '[]' WHERE order_id = $1`, [CONFIRMED]);
    await sql.query(`INSERT INTO inventory.reservations (order_id, status) VALUES ($1, 'RESERVED')`, [CANCELLED]);
    expect(await broken()).toEqual(['no effect applied twice']);
  });

  it('a late charge refunded after the order was cancelled is not finishing twice', async () => {
    await sql.query(
      `UPDATE ordering.fulfilment_sagas SET history = '[{"input":"a","step":"AWAITING_PAYMENT"},{"input":"b","step":"CANCELLED"},{"input":"c","step":"REFUNDING"},{"input":"d","step":"CANCELLED"}]'::jsonb
       WHERE order_id = $1`,
      [CANCELLED],
    );
    expect(await broken()).toEqual([]);
  });

  it('reads who consumes what from docs/asyncapi.yaml', () => {
    const subscriptions = subscriptionsFromAsyncApi(ROOT);
    expect(subscriptions).toContainEqual({
      consumer: 'inventory.reserve-stock',
      schema: 'inventory',
      type: 'inventory.reserve-stock.v1',
    });
    expect(new Set(subscriptions.map((subscription) => subscription.schema))).toEqual(
      new Set(['catalog', 'ordering', 'inventory', 'payments']),
    );
  });
});
