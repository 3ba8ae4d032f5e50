import { randomUUID } from 'node:crypto';
import { FulfilmentProcess } from '../../libs/ordering/src/application/fulfilment/fulfilment-process';
import { UnitOfWork } from '../../libs/ordering/src/application/transactions';
import type { OrderToFulfil } from '../../libs/ordering/src/domain/fulfilment/fulfilment-saga';
import { queryDatabase } from '../support/test-database';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The saga's batch path against PostgreSQL, driven directly: the inbox hands a batch of messages
 * to startAll or reactAll, which lock and write all their sagas in one statement each. The api
 * runs no background work here (BACKGROUND_WORK_IN=worker), so nothing else moves the sagas.
 */
describe('Fulfilment sagas in batches (PostgreSQL)', () => {
  let t: TestApp;
  let process: FulfilmentProcess;
  let unitOfWork: UnitOfWork;

  beforeAll(async () => {
    t = await startTestApp({ BACKGROUND_WORK_IN: 'worker', SEED_SAMPLE_DATA: 'false' });
    process = t.app.get(FulfilmentProcess);
    unitOfWork = t.app.get(UnitOfWork);
  });
  afterAll(() => t.close());

  const sql = <Row>(text: string, params: unknown[] = []) => queryDatabase<Row>(t.database.url, text, params);

  /** A PENDING order as placement writes it (its events left out: this test plays them). */
  async function placed(): Promise<OrderToFulfil> {
    const order = {
      orderId: randomUUID(),
      customerId: 'batch-customer',
      lines: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }],
      totalMinor: 850,
      currency: 'EUR',
    };
    await sql(
      `INSERT INTO ordering.orders (id, customer_id, status, currency, total_minor) VALUES ($1, $2, 'PENDING', 'EUR', 850)`,
      [order.orderId, order.customerId],
    );
    return order;
  }
  const steps = async (orderIds: string[]) =>
    Object.fromEntries(
      (
        await sql<{ order_id: string; step: string }>(
          'SELECT order_id::text AS order_id, step FROM ordering.fulfilment_sagas WHERE order_id = ANY($1::uuid[])',
          [orderIds],
        )
      ).map((row) => [row.order_id, row.step]),
    );
  const commands = async (orderId: string) =>
    (
      await sql<{ event_type: string }>('SELECT event_type FROM ordering.outbox WHERE subject = $1 ORDER BY id', [
        orderId,
      ])
    ).map((row) => row.event_type);

  it('starts a batch of sagas; an order twice in it, or started before, is started once', async () => {
    const [a, b, c] = [await placed(), await placed(), await placed()];
    await unitOfWork.run(() => process.startAll([{ order: a }, { order: b }, { order: a }]));
    await unitOfWork.run(() => process.startAll([{ order: a }, { order: c }]));

    expect(await steps([a.orderId, b.orderId, c.orderId])).toEqual({
      [a.orderId]: 'AWAITING_STOCK',
      [b.orderId]: 'AWAITING_STOCK',
      [c.orderId]: 'AWAITING_STOCK',
    });
    for (const order of [a, b, c]) {
      expect(await commands(order.orderId)).toEqual(['inventory.reserve-stock.v1']);
    }
  });

  it('applies a batch of replies in order, two about one order; a reply without a saga is dropped', async () => {
    const [a, b] = [await placed(), await placed()];
    await unitOfWork.run(() => process.startAll([{ order: a }, { order: b }]));

    await unitOfWork.run(() =>
      process.reactAll([
        { orderId: a.orderId, input: (saga, now) => saga.stockReserved(now) },
        { orderId: randomUUID(), input: (saga, now) => saga.stockReserved(now) },
        { orderId: b.orderId, input: (saga, now) => saga.stockReserved(now) },
        { orderId: a.orderId, input: (saga, now) => saga.paymentCaptured('capture-a', now) },
      ]),
    );

    expect(await steps([a.orderId, b.orderId])).toEqual({ [a.orderId]: 'CONFIRMED', [b.orderId]: 'AWAITING_PAYMENT' });
    expect(await commands(a.orderId)).toEqual([
      'inventory.reserve-stock.v1',
      'payments.capture-payment.v1',
      'ordering.order-confirmed.v1',
    ]);
    expect(await commands(b.orderId)).toEqual(['inventory.reserve-stock.v1', 'payments.capture-payment.v1']);
    const statuses = await sql<{ id: string; status: string }>(
      'SELECT id::text AS id, status FROM ordering.orders WHERE id = ANY($1::uuid[]) ORDER BY id',
      [[a.orderId, b.orderId]],
    );
    expect(Object.fromEntries(statuses.map((row) => [row.id, row.status]))).toEqual({
      [a.orderId]: 'CONFIRMED',
      [b.orderId]: 'PENDING',
    });
  });

  it('writes nothing of a batch when one order of it is no longer PENDING', async () => {
    const [a, b] = [await placed(), await placed()];
    await unitOfWork.run(() => process.startAll([{ order: a }, { order: b }]));
    await unitOfWork.run(() =>
      process.reactAll([a, b].map(({ orderId }) => ({ orderId, input: (saga, now) => saga.stockReserved(now) }))),
    );
    await sql(`UPDATE ordering.orders SET status = 'CANCELLED', cancellation_reason = 'OUT_OF_STOCK' WHERE id = $1`, [
      b.orderId,
    ]);

    await expect(
      unitOfWork.run(() =>
        process.reactAll(
          [a, b].map(({ orderId }) => ({ orderId, input: (saga, now) => saga.paymentCaptured(`c-${orderId}`, now) })),
        ),
      ),
    ).rejects.toThrow('1 order(s) were no longer PENDING');
    expect(await steps([a.orderId, b.orderId])).toEqual({
      [a.orderId]: 'AWAITING_PAYMENT',
      [b.orderId]: 'AWAITING_PAYMENT',
    });
    expect(await commands(a.orderId)).toEqual(['inventory.reserve-stock.v1', 'payments.capture-payment.v1']);
  });
});
