import { randomUUID } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import { AMOUNT_LIMIT_MINOR, startPaymentGateway } from '../../apps/payment-gateway/src/gateway';
import type { CaptureOutcome } from '../../libs/payments/src/application/capture.outcome';
import { CapturePaymentCommand } from '../../libs/payments/src/application/capture-payment/capture-payment.command';
import { captureEvent } from '../../libs/payments/src/application/capture-events';
import { CaptureRepository } from '../../libs/payments/src/application/ports';
import { Capture } from '../../libs/payments/src/domain/capture';
import { RefundPaymentCommand } from '../../libs/payments/src/application/refund-payment/refund-payment.command';
import { queryDatabase } from '../support/test-database';
import { startTestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

interface CaptureRow {
  status: string;
  idempotency_key: string;
  customer_id: string;
  amount_minor: string;
  currency: string;
  capture_id: string | null;
  decline_reason: string | null;
  failure_reason: string | null;
  last_error: string | null;
  attempts: number;
  version: number;
  decided_at: Date | null;
  refund_id: string | null;
  refund_attempts: number;
  refund_last_error: string | null;
  refunded_at: Date | null;
}

interface OutboxRow {
  event_type: string;
  payload: Record<string, unknown>;
  status: string;
}

/**
 * The api application on its own database, its payments client pointed at a simulator this suite
 * controls (faults, counts). Two attempts per capture, so that a failure shows the client's retry.
 */
async function startPayments() {
  const gateway = await startPaymentGateway({ port: 0 });
  const t = await startTestApp({
    LOG_LEVEL: 'error',
    PAYMENT_GATEWAY_URL: gateway.url,
    PAYMENT_GATEWAY_TIMEOUT_MS: '1000',
    PAYMENT_GATEWAY_ATTEMPTS: '2',
  });
  const commands = t.app.get(CommandBus);
  return {
    t,
    gateway,
    capture: (orderId: string, overrides: { customerId?: string; amountMinor?: number } = {}) =>
      commands.execute(
        new CapturePaymentCommand(orderId, overrides.customerId ?? 'customer-1', overrides.amountMinor ?? 4_200, 'EUR'),
      ),
    row: async (orderId: string) =>
      (
        await queryDatabase<CaptureRow>(
          t.database.url,
          'SELECT *, amount_minor::text AS amount_minor FROM payments.captures WHERE order_id = $1',
          [orderId],
        )
      )[0],
    events: (orderId: string) =>
      queryDatabase<OutboxRow>(
        t.database.url,
        'SELECT event_type, payload, status FROM payments.outbox WHERE subject = $1 ORDER BY id',
        [orderId],
      ),
    refund: (orderId: string) => commands.execute(new RefundPaymentCommand(orderId)),
    charges: (orderId: string) => gateway.state.charges.filter((charge) => charge.reference === orderId),
    refunds: (orderId: string) => gateway.state.refunds.filter((refund) => refund.reference === orderId),
    close: async () => {
      await t.close();
      await gateway.close();
    },
  };
}

type Payments = Awaited<ReturnType<typeof startPayments>>;

describe('Payments captures (PostgreSQL, the simulator over HTTP)', () => {
  let p: Payments;

  beforeAll(async () => {
    p = await startPayments();
  });
  afterEach(() => {
    jest.restoreAllMocks();
    p.gateway.setFaults({});
  });
  afterAll(() => p.close());

  it('captures once: a CAPTURED row, one charge, one payment-captured event; the same command again publishes it again, with no call', async () => {
    const orderId = randomUUID();
    const outcome = await p.capture(orderId);

    const [charge, ...more] = p.charges(orderId);
    expect(more).toHaveLength(0);
    expect(outcome).toEqual({
      orderId,
      status: 'CAPTURED',
      captureId: charge!.captureId,
      amountMinor: 4_200,
      currency: 'EUR',
    });
    expect(await p.row(orderId)).toMatchObject({
      status: 'CAPTURED',
      idempotency_key: `order-${orderId}-capture`,
      customer_id: 'customer-1',
      amount_minor: '4200',
      currency: 'EUR',
      capture_id: charge!.captureId,
      decline_reason: null,
      failure_reason: null,
      attempts: 1,
      version: 2,
      decided_at: expect.any(Date),
    });
    expect(await p.events(orderId)).toEqual([
      expect.objectContaining({
        event_type: 'payments.payment-captured.v1',
        payload: { orderId, captureId: charge!.captureId, amountMinor: 4_200, currency: 'EUR' },
      }),
    ]);
    // Registered with the outbox relay: the event leaves for the broker.
    await waitFor(async () => (await p.events(orderId))[0]!.status === 'PUBLISHED');

    const requests = p.gateway.state.requests;
    expect(await p.capture(orderId)).toEqual(outcome);
    expect(p.gateway.state.requests).toBe(requests);
    expect(p.charges(orderId)).toHaveLength(1);
    const captured = {
      event_type: 'payments.payment-captured.v1',
      payload: { orderId, captureId: charge!.captureId, amountMinor: 4_200, currency: 'EUR' },
    };
    expect((await p.events(orderId)).map(({ event_type, payload }) => ({ event_type, payload }))).toEqual([
      captured,
      captured,
    ]);
    expect(await p.row(orderId)).toMatchObject({ attempts: 1, version: 2 });
  });

  it('holds no transaction and no lock while the provider is called', async () => {
    const orderId = randomUUID();
    p.gateway.setFaults({ latencyMs: 500 });
    const requests = p.gateway.state.requests;
    const captured = p.capture(orderId);
    await waitFor(() => p.gateway.state.requests > requests);

    expect(await p.row(orderId)).toMatchObject({ status: 'PENDING', attempts: 1 });
    const openTransactions = await queryDatabase<{ pid: number; query: string }>(
      p.t.database.url,
      `SELECT pid, query FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`,
    );
    expect(openTransactions).toEqual([]);
    // NOWAIT: fails at once if any transaction holds the row.
    await queryDatabase(p.t.database.url, 'SELECT 1 FROM payments.captures WHERE order_id = $1 FOR UPDATE NOWAIT', [
      orderId,
    ]);

    expect(await captured).toMatchObject({ status: 'CAPTURED' });
  });

  it('records a declined customer as DECLINED with payment-declined, distinct from a failure, and final', async () => {
    const orderId = randomUUID();
    const outcome = await p.capture(orderId, { customerId: `decline-${orderId}` });
    expect(outcome).toEqual({ orderId, status: 'DECLINED', captureId: expect.any(String), reason: 'CARD_DECLINED' });
    expect(await p.row(orderId)).toMatchObject({
      status: 'DECLINED',
      decline_reason: 'CARD_DECLINED',
      failure_reason: null,
      decided_at: expect.any(Date),
    });
    expect(await p.events(orderId)).toEqual([
      expect.objectContaining({
        event_type: 'payments.payment-declined.v1',
        payload: { orderId, reason: 'CARD_DECLINED' },
      }),
    ]);
    expect(p.charges(orderId)).toHaveLength(0);

    const requests = p.gateway.state.requests;
    expect(await p.capture(orderId, { customerId: `decline-${orderId}` })).toEqual(outcome);
    expect(p.gateway.state.requests).toBe(requests);
    expect((await p.events(orderId)).map((event) => event.event_type)).toEqual([
      'payments.payment-declined.v1',
      'payments.payment-declined.v1',
    ]);
  });

  it("declines an amount over the provider's limit (AMOUNT_LIMIT_EXCEEDED)", async () => {
    const orderId = randomUUID();
    expect(await p.capture(orderId, { amountMinor: AMOUNT_LIMIT_MINOR + 1 })).toMatchObject({
      status: 'DECLINED',
      reason: 'AMOUNT_LIMIT_EXCEEDED',
    });
    expect(await p.row(orderId)).toMatchObject({
      status: 'DECLINED',
      decline_reason: 'AMOUNT_LIMIT_EXCEEDED',
      amount_minor: String(AMOUNT_LIMIT_MINOR + 1),
    });
    expect((await p.events(orderId)).map((event) => event.payload)).toEqual([
      { orderId, reason: 'AMOUNT_LIMIT_EXCEEDED' },
    ]);
    expect(p.charges(orderId)).toHaveLength(0);
  });

  it('charges once and records one event when commands for one order run concurrently', async () => {
    const orderId = randomUUID();
    // Every command reaches the provider before any records: the provider answers 400 ms late (the
    // client's timeout is 1 s), so that the four commands' first units of work (serialised on the
    // capture's row, each perhaps opening a connection of payments' pool) all run before it answers.
    p.gateway.setFaults({ latencyMs: 400 });
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => p.capture(orderId)));

    const [charge, ...more] = p.charges(orderId);
    expect(more).toHaveLength(0);
    for (const outcome of outcomes) {
      expect(outcome).toEqual({
        orderId,
        status: 'CAPTURED',
        captureId: charge!.captureId,
        amountMinor: 4_200,
        currency: 'EUR',
      });
    }
    expect((await p.events(orderId)).map((event) => event.event_type)).toEqual(['payments.payment-captured.v1']);
    const row = await p.row(orderId);
    expect(row).toMatchObject({ status: 'CAPTURED', version: 2 });
    expect(row!.attempts).toBeGreaterThanOrEqual(1);
    expect(row!.attempts).toBeLessThanOrEqual(4);
  });

  it('shares its writes among the captures of many orders at once: each captured once, with its event', async () => {
    const orders = Array.from({ length: 20 }, () => randomUUID());
    // The provider answers together, so that the outcomes wait for each other's statement.
    p.gateway.setFaults({ latencyMs: 200 });
    const outcomes = await Promise.all(orders.map((orderId) => p.capture(orderId)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(orders.map(() => 'CAPTURED'));
    for (const orderId of orders) {
      expect(p.charges(orderId)).toHaveLength(1);
      expect((await p.events(orderId)).map((event) => event.event_type)).toEqual(['payments.payment-captured.v1']);
      expect(await p.row(orderId)).toMatchObject({ status: 'CAPTURED', attempts: 1, version: 2 });
    }
    // Rows written by one statement share its transaction id: fewer writers than captures.
    const writers = await queryDatabase<{ writers: number }>(
      p.t.database.url,
      'SELECT count(DISTINCT xmin::text)::int AS writers FROM payments.captures WHERE order_id = ANY($1::uuid[])',
      [orders],
    );
    expect(writers[0]!.writers).toBeLessThan(orders.length);
  });

  it('writes the outcomes that shared a statement one by one when it fails: one bad outcome fails alone', async () => {
    const captures = p.t.app.get(CaptureRepository);
    const requested = Array.from({ length: 3 }, () => {
      const capture = Capture.request(randomUUID(), { customerId: 'customer-1', amountMinor: 4_200, currency: 'EUR' });
      capture.startAttempt();
      return capture;
    });
    expect(await Promise.all(requested.map((capture) => captures.addIfAbsent(capture)))).toEqual([true, true, true]);
    const [first, bad, last] = requested as [Capture, Capture, Capture];
    first.recordCaptured('cap-first');
    // A provider's decline reason longer than the column: this capture's write fails in PostgreSQL.
    bad.recordDeclined('cap-bad', 'x'.repeat(500));
    last.recordCaptured('cap-last');

    const saved = await Promise.allSettled(
      // (Its event would be refused by the event's contract before that, so it is written without one.)
      [first, bad, last].map((capture) =>
        captures.saveOutcome(capture, 1, capture === bad ? [] : [captureEvent(capture)]),
      ),
    );

    expect(saved.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await p.row(first.orderId)).toMatchObject({ status: 'CAPTURED', capture_id: 'cap-first' });
    expect(await p.row(bad.orderId)).toMatchObject({ status: 'PENDING', capture_id: null });
    expect(await p.row(last.orderId)).toMatchObject({ status: 'CAPTURED', capture_id: 'cap-last' });
    expect((await p.events(bad.orderId)).length).toBe(0);
    expect((await p.events(last.orderId)).map((event) => event.event_type)).toEqual(['payments.payment-captured.v1']);
  });

  it('asks the provider again with the same key after a crash between its answer and the recording: one charge', async () => {
    const orderId = randomUUID();
    const captures = p.t.app.get(CaptureRepository, { strict: false });
    jest.spyOn(captures, 'saveOutcome').mockRejectedValueOnce(new Error('process crashed before recording'));

    const requests = p.gateway.state.requests;
    await expect(p.capture(orderId)).rejects.toThrow('process crashed before recording');
    expect(p.charges(orderId)).toHaveLength(1); // the provider did charge
    expect(await p.row(orderId)).toMatchObject({ status: 'PENDING', attempts: 1, version: 1 });
    expect(await p.events(orderId)).toEqual([]);

    const outcome = await p.capture(orderId);
    expect(p.gateway.state.requests).toBe(requests + 2);
    expect(p.charges(orderId)).toHaveLength(1);
    expect(outcome).toMatchObject({ status: 'CAPTURED', captureId: p.charges(orderId)[0]!.captureId });
    expect(await p.row(orderId)).toMatchObject({ status: 'CAPTURED', attempts: 2, version: 2 });
    expect((await p.events(orderId)).map((event) => event.event_type)).toEqual(['payments.payment-captured.v1']);
  });

  it('refuses a repeat with another amount, without asking the provider', async () => {
    const orderId = randomUUID();
    await p.capture(orderId);
    const requests = p.gateway.state.requests;
    await expect(p.capture(orderId, { amountMinor: 4_201 })).rejects.toMatchObject({
      rule: 'RepeatedCaptureMustMatchFirst',
    });
    expect(p.gateway.state.requests).toBe(requests);
    expect(await p.events(orderId)).toHaveLength(1);
  });
});

describe('Payments refunds (PostgreSQL, the simulator over HTTP)', () => {
  let p: Payments;

  beforeAll(async () => {
    p = await startPayments();
  });
  afterEach(() => p.gateway.setFaults({}));
  afterAll(() => p.close());

  it('refunds a captured order once and records the refund on its capture', async () => {
    const orderId = randomUUID();
    await p.capture(orderId);
    const outcome = await p.refund(orderId);

    const [refund, ...more] = p.refunds(orderId);
    expect(more).toHaveLength(0);
    expect(outcome).toEqual({
      orderId,
      status: 'REFUNDED',
      refundId: refund!.refundId,
      amountMinor: 4_200,
      currency: 'EUR',
    });
    expect(refund!.captureId).toBe(p.charges(orderId)[0]!.captureId);
    expect(await p.row(orderId)).toMatchObject({
      status: 'REFUNDED',
      capture_id: refund!.captureId,
      refund_id: refund!.refundId,
      refund_attempts: 1,
      refund_last_error: null,
      refunded_at: expect.any(Date),
      decided_at: expect.any(Date),
      version: 3,
    });
    expect((await p.events(orderId)).map((event) => event.event_type)).toEqual([
      'payments.payment-captured.v1',
      'payments.payment-refunded.v1',
    ]);
  });

  it('refunds once and records one event when refund commands for one order run concurrently', async () => {
    const orderId = randomUUID();
    await p.capture(orderId);
    // Every command reaches the provider before any records: the provider answers 400 ms late (the
    // client's timeout is 1 s), so that the four commands' first units of work (serialised on the
    // capture's row, each perhaps opening a connection of payments' pool) all run before it answers.
    p.gateway.setFaults({ latencyMs: 400 });
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => p.refund(orderId)));

    const [refund, ...more] = p.refunds(orderId);
    expect(more).toHaveLength(0);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'REFUNDED', refundId: refund!.refundId });
    }
    expect((await p.events(orderId)).map((event) => event.event_type)).toEqual([
      'payments.payment-captured.v1',
      'payments.payment-refunded.v1',
    ]);
    expect(await p.row(orderId)).toMatchObject({ status: 'REFUNDED', version: 3 });
  });

  it('refuses to refund a payment that is not captured, with no call and nothing changed', async () => {
    const orderId = randomUUID();
    await p.capture(orderId, { customerId: `decline-${orderId}` });
    const row = await p.row(orderId);
    const requests = p.gateway.state.requests;
    expect(await p.refund(orderId)).toEqual({
      orderId,
      status: 'FAILED',
      reason: 'REQUEST_REFUSED',
      retryable: false,
    });
    expect(p.gateway.state.requests).toBe(requests);
    expect(await p.row(orderId)).toEqual(row);
    expect((await p.events(orderId)).at(-1)).toMatchObject({
      event_type: 'payments.refund-failed.v1',
      payload: { orderId, reason: 'REQUEST_REFUSED', retryable: false },
    });
  });
});

/** Each on an application of its own: its failures must not open the shared `payment-gateway` breaker. */
describe('Payments captures when the provider fails (PostgreSQL, the simulator over HTTP)', () => {
  let p: Payments;

  beforeEach(async () => {
    p = await startPayments();
  });
  afterEach(() => p.close());

  const expectFailedThenCaptured = async (orderId: string, failures: number, captured: CaptureOutcome) => {
    expect(captured).toMatchObject({ status: 'CAPTURED', captureId: p.charges(orderId)[0]!.captureId });
    expect(p.charges(orderId)).toHaveLength(1);
    expect(await p.row(orderId)).toMatchObject({
      status: 'CAPTURED',
      failure_reason: null,
      last_error: expect.stringContaining('Payment gateway unavailable'),
      attempts: failures + 1,
      version: failures + 2,
    });
    expect((await p.events(orderId)).map((event) => event.event_type)).toEqual([
      ...Array<string>(failures).fill('payments.payment-failed.v1'),
      'payments.payment-captured.v1',
    ]);
  };

  it('records an outage as FAILED with a retryable payment-failed, and captures once after recovery', async () => {
    const orderId = randomUUID();
    p.gateway.setFaults({ outage: true });
    expect(await p.capture(orderId)).toEqual({
      orderId,
      status: 'FAILED',
      reason: 'GATEWAY_UNAVAILABLE',
      retryable: true,
    });
    expect(p.gateway.state.requests).toBe(2); // the client's two attempts, then FAILED
    expect(await p.row(orderId)).toMatchObject({
      status: 'FAILED',
      failure_reason: 'GATEWAY_UNAVAILABLE',
      last_error: expect.stringContaining('Payment gateway unavailable'),
      decided_at: null,
      attempts: 1,
    });
    expect(await p.events(orderId)).toEqual([
      expect.objectContaining({
        event_type: 'payments.payment-failed.v1',
        payload: { orderId, reason: 'GATEWAY_UNAVAILABLE', retryable: true },
      }),
    ]);
    expect(p.charges(orderId)).toHaveLength(0);

    p.gateway.setFaults({});
    await expectFailedThenCaptured(orderId, 1, await p.capture(orderId));
  });

  it('records each attempt at an error rate of 1 as a failure (FAILED is not final), then captures once', async () => {
    const orderId = randomUUID();
    p.gateway.setFaults({ errorRate: 1 });
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      expect(await p.capture(orderId)).toMatchObject({
        status: 'FAILED',
        reason: 'GATEWAY_UNAVAILABLE',
        retryable: true,
      });
    }
    expect(await p.row(orderId)).toMatchObject({ status: 'FAILED', attempts: 2, version: 3 });
    expect(p.charges(orderId)).toHaveLength(0);

    p.gateway.setFaults({});
    await expectFailedThenCaptured(orderId, 2, await p.capture(orderId));
  });
});
