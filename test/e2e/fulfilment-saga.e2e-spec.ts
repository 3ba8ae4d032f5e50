import { Client } from 'pg';
import type request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * The fulfilment saga end to end, in one process with the in-process broker: ordering's saga,
 * inventory and payments, each through its outbox and inbox, against PostgreSQL and the payment
 * gateway simulator. Timeouts are shortened so that deadlines pass within a test.
 */
type Http = ReturnType<typeof request>;
interface OrderBody {
  id: string;
  customerId: string;
  status: string;
  totalMinor: number;
  cancellationReason?: string;
}

/** Places an order as `customerId` (the token's subject). */
export async function placeOrder(t: TestApp, customerId: string, items: { sku: string; quantity: number }[]) {
  const response = await t.as(customerId).post('/orders').send({ items });
  if (response.status !== 201) {
    throw new Error(`POST /orders answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body as OrderBody;
}

/** The order once it is no longer PENDING, read by the customer who placed it. */
export async function finalOrder(
  t: TestApp,
  { id, customerId }: Pick<OrderBody, 'id' | 'customerId'>,
  timeoutMs = 15_000,
): Promise<OrderBody> {
  let order: OrderBody | undefined;
  await waitFor(async () => {
    order = (await t.as(customerId).get(`/orders/${id}`).expect(200)).body as OrderBody;
    return order.status !== 'PENDING';
  }, timeoutMs);
  return order!;
}

async function getOrder(t: TestApp, { id, customerId }: Pick<OrderBody, 'id' | 'customerId'>): Promise<OrderBody> {
  return (await t.as(customerId).get(`/orders/${id}`).expect(200)).body as OrderBody;
}

/** An operator: the fulfilment routes need the admin role. */
const operator = (t: TestApp) => t.as('ops', { admin: true });

async function stockOf(http: Http, sku: string): Promise<{ available: number; reserved: number }> {
  const { available, reserved } = (await http.get(`/inventory/stock/${sku}`).expect(200)).body;
  return { available, reserved };
}

async function pathOf(t: TestApp, id: string): Promise<string[]> {
  const { history } = (await operator(t).get(`/orders/${id}/fulfilment`).expect(200)).body as {
    history: { input: string; step: string }[];
  };
  return history.map((entry) => `${entry.input} -> ${entry.step}`);
}

/**
 * The path without re-sends: a timer entry that keeps the step is a command sent again because its
 * reply was slow (a busy machine), which the saga is built to do; the scenarios below are about the
 * steps taken.
 */
async function stepsOf(t: TestApp, id: string): Promise<string[]> {
  const path = await pathOf(t, id);
  return path.filter((entry, i) => !(entry.startsWith('Timer -> ') && path[i - 1]?.endsWith(entry.slice(5))));
}

/** The path so far; empty while the saga has not started (its OrderPlaced is on its way). */
async function historyOf(t: TestApp, id: string): Promise<string[]> {
  const response = await operator(t).get(`/orders/${id}/fulfilment`);
  return response.status === 404 ? [] : pathOf(t, id);
}

async function chargesOf(t: TestApp, orderId: string): Promise<{ reference: string; amountMinor: number }[]> {
  const { charges } = (await (await fetch(`${t.paymentGatewayUrl}/admin/charges`)).json()) as {
    charges: { reference: string; amountMinor: number }[];
  };
  return charges.filter((charge) => charge.reference === orderId);
}

describe('Fulfilment saga (PostgreSQL, in-process broker, gateway simulator)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      OUTBOX_POLL_INTERVAL_MS: '50',
      FULFILMENT_TIMER_INTERVAL_MS: '50',
      FULFILMENT_RESEND_AFTER_MS: '400',
      FULFILMENT_PAYMENT_TIMEOUT_MS: '2000',
      PAYMENT_GATEWAY_TIMEOUT_MS: '200',
      PAYMENT_GATEWAY_ATTEMPTS: '2',
    });
  });
  afterAll(() => t.close());
  afterEach(() => t.setGatewayFaults({}));

  it('happy path: stock reserved, payment captured, order CONFIRMED', async () => {
    const before = await stockOf(t.http, 'TEA-SENCHA-100G');
    const placed = await placeOrder(t, 'alice', [{ sku: 'TEA-SENCHA-100G', quantity: 2 }]);

    const order = await finalOrder(t, placed);
    expect(order.status).toBe('CONFIRMED');
    expect(order).not.toHaveProperty('cancellationReason');
    expect(await stockOf(t.http, 'TEA-SENCHA-100G')).toEqual({
      available: before.available - 2,
      reserved: before.reserved + 2,
    });
    expect(await chargesOf(t, placed.id)).toEqual([expect.objectContaining({ amountMinor: placed.totalMinor })]);
    expect(await stepsOf(t, placed.id)).toEqual([
      'Started -> AWAITING_STOCK',
      'StockReserved -> AWAITING_PAYMENT',
      'PaymentCaptured -> CONFIRMED',
    ]);
  });

  it('out of stock: CANCELLED with OUT_OF_STOCK, nothing held, nothing charged', async () => {
    const placed = await placeOrder(t, 'bob', [
      { sku: 'TEA-SENCHA-100G', quantity: 1 },
      { sku: 'GFT-CARD-50', quantity: 1 },
    ]);
    const sencha = await stockOf(t.http, 'TEA-SENCHA-100G');

    const order = await finalOrder(t, placed);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
    expect(await stockOf(t.http, 'GFT-CARD-50')).toEqual({ available: 0, reserved: 0 });
    expect(await stockOf(t.http, 'TEA-SENCHA-100G')).toEqual(sencha);
    expect(await chargesOf(t, placed.id)).toEqual([]);
    expect(await stepsOf(t, placed.id)).toEqual(['Started -> AWAITING_STOCK', 'StockReservationRejected -> CANCELLED']);
  });

  it('payment declined: stock released, then CANCELLED with PAYMENT_DECLINED', async () => {
    const before = await stockOf(t.http, 'COF-ETHIOPIA-250G');
    const placed = await placeOrder(t, 'decline-carol', [{ sku: 'COF-ETHIOPIA-250G', quantity: 3 }]);

    const order = await finalOrder(t, placed);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    expect(await stockOf(t.http, 'COF-ETHIOPIA-250G')).toEqual(before);
    expect(await chargesOf(t, placed.id)).toEqual([]);
    expect(await stepsOf(t, placed.id)).toEqual([
      'Started -> AWAITING_STOCK',
      'StockReserved -> AWAITING_PAYMENT',
      'PaymentDeclined -> RELEASING_STOCK',
      'StockReleased -> CANCELLED',
    ]);
  });

  // Before the outage test below: that one leaves the payment-gateway breaker open for a while.
  it('an order whose OrderPlaced never reached the saga is still fulfilled: the timer starts its saga', async () => {
    // An order as placement writes it, but without its event in the outbox: as if the event had
    // been lost (the in-process broker's memory, a dead letter).
    const orderId = '0193a3b4-0000-7000-8000-00000000abcd';
    const sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    try {
      await sql.query(
        `INSERT INTO ordering.orders (id, customer_id, status, currency, total_minor, created_at, updated_at)
         VALUES ($1, 'orphan', 'PENDING', 'EUR', 850, now() - interval '5 seconds', now() - interval '5 seconds')`,
        [orderId],
      );
      await sql.query(
        `INSERT INTO ordering.order_lines (order_id, line_no, sku, quantity, unit_price_minor)
         VALUES ($1, 1, 'TEA-SENCHA-100G', 1, 850)`,
        [orderId],
      );
    } finally {
      await sql.end();
    }

    const order = await finalOrder(t, { id: orderId, customerId: 'orphan' });
    expect(order.status).toBe('CONFIRMED');
    expect(await chargesOf(t, orderId)).toEqual([expect.objectContaining({ amountMinor: 850 })]);
  });

  it('gateway down past the payment deadline: stock released, CANCELLED with PAYMENT_TIMEOUT', async () => {
    await t.setGatewayFaults({ outage: true });
    const before = await stockOf(t.http, 'TEA-SENCHA-100G');
    const placed = await placeOrder(t, 'dave', [{ sku: 'TEA-SENCHA-100G', quantity: 4 }]);

    const order = await finalOrder(t, placed);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_TIMEOUT' });
    expect(await stockOf(t.http, 'TEA-SENCHA-100G')).toEqual(before);
    expect(await chargesOf(t, placed.id)).toEqual([]);
    const path = await pathOf(t, placed.id);
    expect(path).toContain('PaymentFailed -> AWAITING_PAYMENT');
    expect(path.slice(-2)).toEqual(['Timer -> RELEASING_STOCK', 'StockReleased -> CANCELLED']);
  });

  it('answers 404 problem+json for the fulfilment of an unknown order, 400 for a bad id', async () => {
    await operator(t).get('/orders/0193a3b4-0000-7000-8000-0000000000ff/fulfilment').expect(404);
    const response = await operator(t).get('/orders/not-a-uuid/fulfilment').expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('Fulfilment saga under load: 500 concurrent orders, scarce stock, a flaky gateway', () => {
  let t: TestApp;
  let sql: Client;

  beforeAll(async () => {
    t = await startTestApp({
      OUTBOX_POLL_INTERVAL_MS: '50',
      FULFILMENT_TIMER_INTERVAL_MS: '100',
      FULFILMENT_RESEND_AFTER_MS: '500',
      FULFILMENT_MAX_RESEND_AFTER_MS: '2000',
      FULFILMENT_PAYMENT_TIMEOUT_MS: '30000',
      PAYMENT_GATEWAY_TIMEOUT_MS: '1000',
      PAYMENT_GATEWAY_ATTEMPTS: '2',
    });
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });
  afterEach(() => t.setGatewayFaults({}));

  it('a gateway failing for a while: the saga asks again, and the order is CONFIRMED, charged once', async () => {
    await t.setGatewayFaults({ errorRate: 1 });
    const placed = await placeOrder(t, 'erin', [{ sku: 'TEA-SENCHA-100G', quantity: 1 }]);
    await waitFor(async () => (await historyOf(t, placed.id)).includes('PaymentFailed -> AWAITING_PAYMENT'));
    await t.setGatewayFaults({});

    const order = await finalOrder(t, placed, 30_000);
    expect(order.status).toBe('CONFIRMED');
    expect(await chargesOf(t, placed.id)).toHaveLength(1);
  });

  it('every order ends final; no sku oversold; stock conserved; nobody charged twice', async () => {
    const skus = ['TEA-MATCHA-30G', 'COF-GEISHA-100G', 'TEA-SENCHA-100G', 'COF-KENYA-250G', 'COF-COLOMBIA-250G'];
    const initial = new Map<string, { available: number; reserved: number }>();
    for (const sku of skus) {
      initial.set(sku, await stockOf(t.http, sku));
    }
    await t.setGatewayFaults({ errorRate: 0.3 });

    // A fixed pseudo-random sequence: the same orders every run.
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const orders = Array.from({ length: 500 }, (_, index) => {
      const first = Math.floor(random() * skus.length);
      const lines = [{ sku: skus[first]!, quantity: 1 + Math.floor(random() * 3) }];
      if (random() < 0.4) {
        lines.push({ sku: skus[(first + 1 + Math.floor(random() * (skus.length - 1))) % skus.length]!, quantity: 1 });
      }
      return { customerId: random() < 0.15 ? `decline-${index}` : `customer-${index}`, lines };
    });
    const placed = await Promise.all(orders.map((order) => placeOrder(t, order.customerId, order.lines)));
    expect(new Set(placed.map((order) => order.id)).size).toBe(500);

    await waitFor(async () => {
      const { rows } = await sql.query(`SELECT count(*)::int AS pending FROM ordering.orders WHERE status = 'PENDING'`);
      return rows[0].pending === 0;
    }, 120_000);
    await t.setGatewayFaults({});

    const { rows: finals } = await sql.query<{ id: string; status: string; reason: string | null; total: string }>(
      `SELECT id::text, status, cancellation_reason AS reason, total_minor AS total FROM ordering.orders WHERE id = ANY($1::uuid[])`,
      [placed.map((order) => order.id)],
    );
    expect(finals).toHaveLength(500);
    const byId = new Map(finals.map((row) => [row.id, row]));
    for (const row of finals) {
      expect(['CONFIRMED', 'CANCELLED']).toContain(row.status);
      if (row.status === 'CANCELLED') {
        expect(['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'PAYMENT_TIMEOUT']).toContain(row.reason);
      }
    }
    placed.forEach((order, index) => {
      if (orders[index]!.customerId.startsWith('decline-')) {
        expect(byId.get(order.id)!.status).toBe('CANCELLED');
      }
    });
    const outcomes = finals.reduce<Record<string, number>>((counts, row) => {
      const key = row.reason ?? row.status;
      counts[key] = (counts[key] ?? 0) + 1;
      return counts;
    }, {});
    expect(outcomes.CONFIRMED).toBeGreaterThan(0);
    expect(outcomes.OUT_OF_STOCK).toBeGreaterThan(0);
    expect(outcomes.PAYMENT_DECLINED).toBeGreaterThan(0);

    // Stock: nothing oversold; what these orders took from the available stock is exactly what the
    // confirmed ones hold (the cancelled ones gave everything back).
    for (const sku of skus) {
      const confirmedQuantity = placed.reduce((sum, order, index) => {
        const line = orders[index]!.lines.find((candidate) => candidate.sku === sku);
        return sum + (line && byId.get(order.id)!.status === 'CONFIRMED' ? line.quantity : 0);
      }, 0);
      const stock = await stockOf(t.http, sku);
      const before = initial.get(sku)!;
      expect({ sku, notOversold: stock.available >= 0, held: stock.reserved - before.reserved }).toEqual({
        sku,
        notOversold: true,
        held: confirmedQuantity,
      });
      expect({ sku, conserved: stock.available + confirmedQuantity }).toEqual({ sku, conserved: before.available });
    }

    // Money: each confirmed order charged exactly once, its total, and kept; any other order's charge
    // refunded. On a loaded machine a capture can outlast the payment deadline: the order is then
    // cancelled (PAYMENT_TIMEOUT) and the saga refunds the late capture, after the order is final.
    type Charge = { reference: string; amountMinor: number; refundId?: string };
    const chargesOfOrders = async () =>
      ((await (await fetch(`${t.paymentGatewayUrl}/admin/charges`)).json()) as { charges: Charge[] }).charges.filter(
        (charge) => byId.has(charge.reference),
      );
    await waitFor(
      async () =>
        (await chargesOfOrders()).every(
          (charge) => byId.get(charge.reference)!.status === 'CONFIRMED' || charge.refundId,
        ),
      60_000,
    );
    const charged = new Map<string, Charge>();
    for (const charge of await chargesOfOrders()) {
      expect(charged.has(charge.reference)).toBe(false);
      charged.set(charge.reference, charge);
    }
    const kept = [...charged.values()].filter((charge) => !charge.refundId);
    const confirmed = finals.filter((row) => row.status === 'CONFIRMED');
    expect(new Set(kept.map((charge) => charge.reference))).toEqual(new Set(confirmed.map((row) => row.id)));
    for (const row of confirmed) {
      expect(charged.get(row.id)!.amountMinor).toBe(Number(row.total));
    }
    for (const refunded of [...charged.values()].filter((charge) => charge.refundId)) {
      expect(byId.get(refunded.reference)).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_TIMEOUT' });
    }
  }, 180_000);
});

describe('Fulfilment saga: a capture that succeeds after the payment deadline is refunded', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      OUTBOX_POLL_INTERVAL_MS: '50',
      FULFILMENT_TIMER_INTERVAL_MS: '50',
      // No re-send before the deadline: the one capture in flight is the late one.
      FULFILMENT_RESEND_AFTER_MS: '5000',
      FULFILMENT_PAYMENT_TIMEOUT_MS: '500',
      PAYMENT_GATEWAY_TIMEOUT_MS: '5000',
      PAYMENT_GATEWAY_ATTEMPTS: '1',
    });
  });
  afterAll(() => t.close());

  it('the order is CANCELLED (PAYMENT_TIMEOUT), its stock released, and the late charge refunded once', async () => {
    const before = await stockOf(t.http, 'COF-KENYA-250G');
    await t.setGatewayFaults({ latencyMs: 1_500 });
    const placed = await placeOrder(t, 'frank', [{ sku: 'COF-KENYA-250G', quantity: 2 }]);

    const order = await finalOrder(t, placed);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_TIMEOUT' });
    expect(await stockOf(t.http, 'COF-KENYA-250G')).toEqual(before);

    let fulfilment: { step: string; lateCapture?: { refundStatus: string } } | undefined;
    await waitFor(async () => {
      fulfilment = (await operator(t).get(`/orders/${placed.id}/fulfilment`).expect(200)).body;
      return fulfilment!.lateCapture?.refundStatus === 'REFUNDED';
    }, 15_000);
    expect(fulfilment).toMatchObject({ step: 'CANCELLED', lateCapture: { refundStatus: 'REFUNDED' } });
    expect(await stepsOf(t, placed.id)).toEqual([
      'Started -> AWAITING_STOCK',
      'StockReserved -> AWAITING_PAYMENT',
      'Timer -> RELEASING_STOCK',
      'StockReleased -> CANCELLED',
      'PaymentCaptured -> REFUNDING',
      'PaymentRefunded -> CANCELLED',
    ]);
    expect((await getOrder(t, placed)).status).toBe('CANCELLED'); // the refund did not touch the order

    const charges = await chargesOf(t, placed.id);
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ amountMinor: placed.totalMinor, refundedAt: expect.any(String) });
  });
});

describe('Fulfilment saga: a command still in ordering’s outbox is not sent again', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      OUTBOX_POLL_INTERVAL_MS: '50',
      FULFILMENT_TIMER_INTERVAL_MS: '50',
      FULFILMENT_RESEND_AFTER_MS: '300',
      FULFILMENT_PAYMENT_TIMEOUT_MS: '20000',
      PAYMENT_GATEWAY_TIMEOUT_MS: '5000',
      PAYMENT_GATEWAY_ATTEMPTS: '1',
    });
  });
  afterAll(() => t.close());
  afterEach(() => t.setGatewayFaults({}));

  it('a capture slower than the re-send interval: one CapturePayment, re-sends postponed, CONFIRMED', async () => {
    // The in-process broker hands a command over once its consumer has handled it: while the capture
    // waits on the gateway, its CapturePayment is still PENDING in ordering's outbox. A copy sent
    // then would only queue behind it (overload made worse, the lesson of scripts/bench/README.md).
    await t.setGatewayFaults({ latencyMs: 1_500 });
    const placed = await placeOrder(t, 'grace', [{ sku: 'TEA-SENCHA-100G', quantity: 1 }]);

    const order = await finalOrder(t, placed);
    await t.setGatewayFaults({});
    expect(order.status).toBe('CONFIRMED');
    const sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ commands: number }>(
        `SELECT count(*)::int AS commands FROM ordering.outbox
         WHERE subject = $1 AND event_type = 'payments.capture-payment.v1'`,
        [placed.id],
      );
      expect(rows[0]!.commands).toBe(1);
    } finally {
      await sql.end();
    }
    const { history } = (await operator(t).get(`/orders/${placed.id}/fulfilment`).expect(200)).body as {
      history: { input: string; step: string; note?: string }[];
    };
    expect(history).toContainEqual(
      expect.objectContaining({
        input: 'Timer',
        step: 'AWAITING_PAYMENT',
        note: expect.stringMatching(/^CapturePayment not delivered yet/),
      }),
    );
    expect(await chargesOf(t, placed.id)).toHaveLength(1);
  });
});
