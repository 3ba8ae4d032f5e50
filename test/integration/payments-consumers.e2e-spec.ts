import { randomUUID } from 'node:crypto';
import {
  CapturePaymentV1,
  PaymentCapturedV1,
  PaymentDeclinedV1,
  PaymentFailedV1,
  PaymentRefundedV1,
  RefundFailedV1,
  RefundPaymentV1,
} from '@modulith/payments';
import { InboxConsumers } from '@platform/inbox';
import {
  createEvent,
  type DeliveredMessage,
  type EventContract,
  type EventData,
  fromBrokerMessage,
  type IntegrationEvent,
  MessageBroker,
  toBrokerMessage,
} from '@platform/messaging';
import { startPaymentGateway } from '../../apps/payment-gateway/src/gateway';
import { CaptureRepository } from '../../libs/payments/src/application/ports';
import { queryDatabase } from '../support/test-database';
import { recordMessages } from '../support/message-recorder';
import { startTestApp } from '../support/test-app';
import { sleep, waitFor } from '../support/wait-for';

const PAYMENT_EVENTS = [
  PaymentCapturedV1.type,
  PaymentDeclinedV1.type,
  PaymentFailedV1.type,
  PaymentRefundedV1.type,
  RefundFailedV1.type,
];

/**
 * The api application on its own database, with the in-process broker (it relays payments' outbox
 * and runs payments' inbox consumers), its payments client pointed at a simulator this suite
 * controls, and a recorder of every event payments publishes.
 */
async function startPayments() {
  const gateway = await startPaymentGateway({ port: 0 });
  const t = await startTestApp({
    LOG_LEVEL: 'error',
    OUTBOX_POLL_INTERVAL_MS: '50',
    PAYMENT_GATEWAY_URL: gateway.url,
    PAYMENT_GATEWAY_TIMEOUT_MS: '1000',
    PAYMENT_GATEWAY_ATTEMPTS: '2',
  });
  const recorder = await recordMessages(t.app, `payments-consumers-test-${randomUUID()}`, PAYMENT_EVENTS);
  const sql = <Row>(text: string, params: unknown[] = []) => queryDatabase<Row>(t.database.url, text, params);
  const publish = (event: IntegrationEvent) => t.app.get(MessageBroker).publish([toBrokerMessage(event)]);
  return {
    t,
    gateway,
    sql,
    publish,
    /** A command as the saga sends it: a new message each time. */
    send: async <Contract extends EventContract>(contract: Contract, orderId: string, data: EventData<Contract>) => {
      const command = createEvent(contract, orderId, data, { source: '/modules/ordering' });
      await publish(command);
      return command;
    },
    capturing: (orderId: string, customerId = 'customer-1') => ({
      orderId,
      customerId,
      amountMinor: 4_200,
      currency: 'EUR',
    }),
    /** The events payments published about an order, as they came out of the broker. */
    eventsOf: (orderId: string) =>
      recorder.received
        .map((message: DeliveredMessage) => fromBrokerMessage(message))
        .filter((event) => event.subject === orderId),
    charges: (orderId: string) => gateway.state.charges.filter((charge) => charge.reference === orderId),
    /** What the customer paid for the order, at the provider: its charges less its refunds. */
    netCharges: (orderId: string) =>
      gateway.state.charges.filter((charge) => charge.reference === orderId && !charge.refundedAt).length,
    refunds: (orderId: string) => gateway.state.refunds.filter((refund) => refund.reference === orderId),
    capture: async (orderId: string) =>
      (
        await sql<{ status: string; attempts: number; refund_attempts: number }>(
          'SELECT status, attempts, refund_attempts FROM payments.captures WHERE order_id = $1',
          [orderId],
        )
      )[0],
    inboxRows: (messageId: string) =>
      sql<{ consumer: string }>('SELECT consumer FROM payments.inbox WHERE message_id = $1', [messageId]),
    /** The counters of one of the app's inbox consumers. */
    counters: (name: string) =>
      t.app.get(InboxConsumers).consumers.find((consumer) => consumer.name === name)!.counters,
    close: async () => {
      await recorder.stop();
      await t.close();
      await gateway.close();
    },
  };
}

type Payments = Awaited<ReturnType<typeof startPayments>>;

/**
 * Payments' command taken from the broker through its inbox, on real PostgreSQL and the simulator
 * over HTTP: the capture handler owns its transactions (it calls the provider between two units of
 * work), and its idempotency per order makes every delivery and every repeat charge once.
 */
describe('Payments consumers (PostgreSQL, in-process broker, inbox, the simulator over HTTP)', () => {
  let p: Payments;

  beforeAll(async () => {
    p = await startPayments();
  });
  afterEach(() => p.gateway.setFaults({}));
  afterAll(() => p.close());

  /** Called during a provider call that lasts 500 ms: transactions open since before the call. */
  const transactionsOpenAcrossTheCall = async () => {
    await sleep(250);
    // The relays' own transactions last milliseconds.
    return p.sql(
      `SELECT pid, query FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND clock_timestamp() - xact_start > interval '200 milliseconds'`,
    );
  };

  describe('payments.capture-payment.v1', () => {
    it('captures, publishes payment-captured and records the message in the inbox', async () => {
      const orderId = randomUUID();
      const command = await p.send(CapturePaymentV1, orderId, p.capturing(orderId));

      await waitFor(() => p.eventsOf(orderId).length === 1);
      const [charge, ...more] = p.charges(orderId);
      expect(more).toHaveLength(0);
      expect(p.eventsOf(orderId)[0]).toMatchObject({
        type: PaymentCapturedV1.type,
        source: '/modules/payments',
        data: { orderId, captureId: charge!.captureId, amountMinor: 4_200, currency: 'EUR' },
      });
      expect(await p.capture(orderId)).toMatchObject({ status: 'CAPTURED', attempts: 1 });
      await waitFor(async () => (await p.inboxRows(command.id)).length === 1); // recorded after the handler's own commit
      expect(await p.inboxRows(command.id)).toEqual([{ consumer: 'payments.capture-payment' }]);
    });

    it('applies a command delivered twice once: one charge, one event', async () => {
      const orderId = randomUUID();
      const command = createEvent(CapturePaymentV1, orderId, p.capturing(orderId), { source: '/modules/ordering' });
      const duplicatesBefore = p.counters('payments.capture-payment').duplicates;
      await p.publish(command);
      await p.publish(command);

      await waitFor(() => p.counters('payments.capture-payment').duplicates === duplicatesBefore + 1);
      await waitFor(() => p.eventsOf(orderId).length === 1);
      await sleep(300); // the relay's polls: still one event
      expect(p.eventsOf(orderId)).toHaveLength(1);
      expect(p.charges(orderId)).toHaveLength(1);
      expect(await p.capture(orderId)).toMatchObject({ status: 'CAPTURED', attempts: 1 });
      await waitFor(async () => (await p.inboxRows(command.id)).length === 1);
      expect(await p.inboxRows(command.id)).toHaveLength(1);
    });

    it('answers a repeated command for a captured order with payment-captured again, without a second charge', async () => {
      const orderId = randomUUID();
      await p.send(CapturePaymentV1, orderId, p.capturing(orderId));
      await waitFor(() => p.eventsOf(orderId).length === 1);
      const requests = p.gateway.state.requests;

      const repeat = await p.send(CapturePaymentV1, orderId, p.capturing(orderId));
      await waitFor(() => p.eventsOf(orderId).length === 2);
      const [first, again] = p.eventsOf(orderId);
      expect(again).toMatchObject({ type: PaymentCapturedV1.type, data: first!.data });
      expect(again!.id).not.toBe(first!.id);
      expect(p.gateway.state.requests).toBe(requests);
      expect(p.charges(orderId)).toHaveLength(1);
      expect(await p.capture(orderId)).toMatchObject({ status: 'CAPTURED', attempts: 1 });
      await waitFor(async () => (await p.inboxRows(repeat.id)).length === 1);
      expect(await p.inboxRows(repeat.id)).toHaveLength(1);
    });

    it('publishes a decline as an outcome, not a failure, and again for a repeated command', async () => {
      const orderId = randomUUID();
      const failedBefore = p.counters('payments.capture-payment').failedAttempts;
      await p.send(CapturePaymentV1, orderId, p.capturing(orderId, `decline-${orderId}`));
      await waitFor(() => p.eventsOf(orderId).length === 1);
      await p.send(CapturePaymentV1, orderId, p.capturing(orderId, `decline-${orderId}`));
      await waitFor(() => p.eventsOf(orderId).length === 2);

      for (const event of p.eventsOf(orderId)) {
        expect(event).toMatchObject({ type: PaymentDeclinedV1.type, data: { orderId, reason: 'CARD_DECLINED' } });
      }
      expect(await p.capture(orderId)).toMatchObject({ status: 'DECLINED', attempts: 1 });
      expect(p.charges(orderId)).toHaveLength(0);
      expect(p.counters('payments.capture-payment').failedAttempts).toBe(failedBefore);
    });

    it('holds no transaction open while the provider is called', async () => {
      const orderId = randomUUID();
      p.gateway.setFaults({ latencyMs: 500 });
      const requests = p.gateway.state.requests;
      await p.send(CapturePaymentV1, orderId, p.capturing(orderId));
      await waitFor(() => p.gateway.state.requests > requests);
      expect(await transactionsOpenAcrossTheCall()).toEqual([]);
      await waitFor(() => p.eventsOf(orderId).length === 1);
      expect(p.eventsOf(orderId)[0]).toMatchObject({ type: PaymentCapturedV1.type });
    });
  });

  describe('payments.refund-payment.v1', () => {
    /** An order captured through its command, as the saga gets it: the payment-captured event is out. */
    const capturedOrder = async () => {
      const orderId = randomUUID();
      await p.send(CapturePaymentV1, orderId, p.capturing(orderId));
      await waitFor(() => p.eventsOf(orderId).length === 1);
      expect(p.eventsOf(orderId)[0]).toMatchObject({ type: PaymentCapturedV1.type });
      return orderId;
    };
    const refunded = (orderId: string) => ({
      type: PaymentRefundedV1.type,
      subject: orderId,
      data: { orderId, refundId: p.refunds(orderId)[0]!.refundId, amountMinor: 4_200, currency: 'EUR' },
    });

    it('refunds a captured order in full and publishes payment-refunded: the customer is charged nothing, net', async () => {
      const orderId = await capturedOrder();
      expect(p.netCharges(orderId)).toBe(1);
      const command = await p.send(RefundPaymentV1, orderId, { orderId });

      await waitFor(() => p.eventsOf(orderId).length === 2);
      expect(p.refunds(orderId)).toEqual([
        expect.objectContaining({ captureId: p.charges(orderId)[0]!.captureId, amountMinor: 4_200 }),
      ]);
      expect(p.eventsOf(orderId)[1]).toMatchObject(refunded(orderId));
      expect(p.netCharges(orderId)).toBe(0);
      expect(await p.capture(orderId)).toEqual({ status: 'REFUNDED', attempts: 1, refund_attempts: 1 });
      await waitFor(async () => (await p.inboxRows(command.id)).length === 1);
      expect(await p.inboxRows(command.id)).toEqual([{ consumer: 'payments.refund-payment' }]);
    });

    it('applies a refund delivered twice once, and answers a repeated command with payment-refunded again: one refund', async () => {
      const orderId = await capturedOrder();
      const command = createEvent(RefundPaymentV1, orderId, { orderId }, { source: '/modules/ordering' });
      const duplicatesBefore = p.counters('payments.refund-payment').duplicates;
      await p.publish(command);
      await p.publish(command);
      await waitFor(() => p.counters('payments.refund-payment').duplicates === duplicatesBefore + 1);
      await waitFor(() => p.eventsOf(orderId).length === 2);
      const requests = p.gateway.state.requests;

      await p.send(RefundPaymentV1, orderId, { orderId });
      await waitFor(() => p.eventsOf(orderId).length === 3);
      expect(p.eventsOf(orderId).slice(1)).toEqual([
        expect.objectContaining(refunded(orderId)),
        expect.objectContaining(refunded(orderId)),
      ]);
      expect(p.gateway.state.requests).toBe(requests);
      expect(p.refunds(orderId)).toHaveLength(1);
      expect(await p.capture(orderId)).toMatchObject({ status: 'REFUNDED', refund_attempts: 1 });
    });

    it('holds no transaction open while the provider is called', async () => {
      const orderId = await capturedOrder();
      p.gateway.setFaults({ latencyMs: 500 });
      const requests = p.gateway.state.requests;
      await p.send(RefundPaymentV1, orderId, { orderId });
      await waitFor(() => p.gateway.state.requests > requests);
      expect(await transactionsOpenAcrossTheCall()).toEqual([]);
      await waitFor(() => p.eventsOf(orderId).length === 2);
      expect(p.eventsOf(orderId)[1]).toMatchObject({ type: PaymentRefundedV1.type });
    });

    it('answers a capture command repeated after the refund with payment-captured again, charging nothing more', async () => {
      const orderId = await capturedOrder();
      await p.send(RefundPaymentV1, orderId, { orderId });
      await waitFor(() => p.eventsOf(orderId).length === 2);
      const requests = p.gateway.state.requests;

      await p.send(CapturePaymentV1, orderId, p.capturing(orderId));
      await waitFor(() => p.eventsOf(orderId).length === 3);
      expect(p.eventsOf(orderId)[2]).toMatchObject({
        type: PaymentCapturedV1.type,
        data: p.eventsOf(orderId)[0]!.data,
      });
      expect(p.gateway.state.requests).toBe(requests);
      expect(p.netCharges(orderId)).toBe(0);
      expect(await p.capture(orderId)).toMatchObject({ status: 'REFUNDED' });
    });

    it.each([
      ['no capture', async () => randomUUID()],
      [
        'a declined capture',
        async () => {
          const orderId = randomUUID();
          await p.send(CapturePaymentV1, orderId, p.capturing(orderId, `decline-${orderId}`));
          await waitFor(() => p.eventsOf(orderId).length === 1);
          return orderId;
        },
      ],
    ])(
      'refuses to refund an order with %s: refund-failed REQUEST_REFUSED, not retryable, as an outcome',
      async (_case, order) => {
        const orderId = await order();
        const before = await p.capture(orderId);
        const failedBefore = p.counters('payments.refund-payment').failedAttempts;
        const requests = p.gateway.state.requests;
        const command = await p.send(RefundPaymentV1, orderId, { orderId });

        await waitFor(() => p.eventsOf(orderId).some((event) => event.type === RefundFailedV1.type));
        expect(p.eventsOf(orderId).at(-1)).toMatchObject({
          type: RefundFailedV1.type,
          data: { orderId, reason: 'REQUEST_REFUSED', retryable: false },
        });
        expect(p.gateway.state.requests).toBe(requests);
        expect(await p.capture(orderId)).toEqual(before);
        expect(p.counters('payments.refund-payment').failedAttempts).toBe(failedBefore);
        await waitFor(async () => (await p.inboxRows(command.id)).length === 1);
        expect(await p.inboxRows(command.id)).toHaveLength(1);
      },
    );

    it('asks the provider again with the same key when the process fails between its refund and the recording: one refund', async () => {
      const orderId = await capturedOrder();
      const captures = p.t.app.get(CaptureRepository, { strict: false });
      const saveRefundOutcome = jest
        .spyOn(captures, 'saveRefundOutcome')
        .mockRejectedValueOnce(new Error('connection lost before recording'));
      const failedBefore = p.counters('payments.refund-payment').failedAttempts;
      try {
        await p.send(RefundPaymentV1, orderId, { orderId });
        await waitFor(() => p.eventsOf(orderId).length === 2);
      } finally {
        saveRefundOutcome.mockRestore();
      }
      expect(p.counters('payments.refund-payment').failedAttempts).toBe(failedBefore + 1);
      expect(p.eventsOf(orderId)[1]).toMatchObject(refunded(orderId));
      expect(p.refunds(orderId)).toHaveLength(1);
      expect(await p.capture(orderId)).toEqual({ status: 'REFUNDED', attempts: 1, refund_attempts: 2 });
    });
  });
});

/** Each on an application of its own: its failures must not open the shared `payment-gateway` breaker. */
describe('Payments consumers when the provider is down (PostgreSQL, in-process broker, inbox)', () => {
  let p: Payments;

  beforeEach(async () => {
    p = await startPayments();
  });
  afterEach(() => p.close());

  it('publishes payment-failed as an outcome, not an error, and captures once when the command is repeated after recovery', async () => {
    const orderId = randomUUID();
    p.gateway.setFaults({ outage: true });
    const first = await p.send(CapturePaymentV1, orderId, p.capturing(orderId));
    await waitFor(() => p.eventsOf(orderId).length === 1);
    expect(p.eventsOf(orderId)[0]).toMatchObject({
      type: PaymentFailedV1.type,
      data: { orderId, reason: 'GATEWAY_UNAVAILABLE', retryable: true },
    });
    // The handler owns its transactions: its outcome commits (and may be relayed) before the inbox records the message.
    await waitFor(() => p.counters('payments.capture-payment').handled === 1);
    expect(p.counters('payments.capture-payment')).toMatchObject({ handled: 1, failedAttempts: 0 });
    await waitFor(async () => (await p.inboxRows(first.id)).length === 1);
    expect(await p.inboxRows(first.id)).toHaveLength(1);

    p.gateway.setFaults({});
    await p.send(CapturePaymentV1, orderId, p.capturing(orderId));
    await waitFor(() => p.eventsOf(orderId).length === 2);
    expect(p.eventsOf(orderId)[1]).toMatchObject({
      type: PaymentCapturedV1.type,
      data: { orderId, captureId: p.charges(orderId)[0]!.captureId },
    });
    expect(p.charges(orderId)).toHaveLength(1);
    expect(await p.capture(orderId)).toMatchObject({ status: 'CAPTURED', attempts: 2 });
  });

  it('publishes refund-failed (retryable) during an outage, keeps the payment CAPTURED, and refunds once when repeated after recovery', async () => {
    const orderId = randomUUID();
    await p.send(CapturePaymentV1, orderId, p.capturing(orderId));
    await waitFor(() => p.eventsOf(orderId).length === 1);
    p.gateway.setFaults({ outage: true });
    await p.send(RefundPaymentV1, orderId, { orderId });
    await waitFor(() => p.eventsOf(orderId).length === 2);
    expect(p.eventsOf(orderId)[1]).toMatchObject({
      type: RefundFailedV1.type,
      data: { orderId, reason: 'GATEWAY_UNAVAILABLE', retryable: true },
    });
    expect(await p.capture(orderId)).toMatchObject({ status: 'CAPTURED', refund_attempts: 1 });
    expect(p.netCharges(orderId)).toBe(1);

    p.gateway.setFaults({});
    await p.send(RefundPaymentV1, orderId, { orderId });
    await waitFor(() => p.eventsOf(orderId).length === 3);
    expect(p.eventsOf(orderId)[2]).toMatchObject({ type: PaymentRefundedV1.type });
    expect(p.refunds(orderId)).toHaveLength(1);
    expect(p.netCharges(orderId)).toBe(0);
    expect(await p.capture(orderId)).toMatchObject({ status: 'REFUNDED', refund_attempts: 2 });
  });
});
