import { Logger } from '@nestjs/common';
import { Capture } from '../../domain/capture';
import { FakeCaptures, FakeGateway, FakeOutbox, FakeUnitOfWork } from '../in-memory-ports';
import { PaymentGatewayUnavailable, PaymentRequestRefused } from '../payment-gateway';
import { CapturePaymentCommand } from './capture-payment.command';
import { CapturePaymentHandler } from './capture-payment.handler';

const ORDER = '01a20101-1ff1-7459-8023-368506bbe576';
const capture = (overrides: Partial<CapturePaymentCommand> = {}) => {
  const { orderId, customerId, amountMinor, currency } = {
    orderId: ORDER,
    customerId: 'customer-1',
    amountMinor: 1_700,
    currency: 'EUR',
    ...overrides,
  };
  return new CapturePaymentCommand(orderId, customerId, amountMinor, currency);
};

describe('CapturePaymentHandler', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  const setup = () => {
    const unitOfWork = new FakeUnitOfWork();
    const outbox = new FakeOutbox(unitOfWork);
    const captures = new FakeCaptures(outbox);
    const gateway = new FakeGateway(unitOfWork);
    const handler = new CapturePaymentHandler(captures, gateway, unitOfWork, outbox);
    const types = () => outbox.events.map((event) => event.type);
    return { unitOfWork, captures, gateway, outbox, handler, types };
  };

  it('captures with the key derived from the order, outside any unit of work, and records the event', async () => {
    const { handler, gateway, outbox, captures } = setup();
    expect(await handler.execute(capture())).toEqual({
      orderId: ORDER,
      status: 'CAPTURED',
      captureId: 'cap-1',
      amountMinor: 1_700,
      currency: 'EUR',
    });
    expect(gateway.requests).toEqual([
      {
        request: {
          idempotencyKey: `order-${ORDER}-capture`,
          reference: ORDER,
          customerId: 'customer-1',
          amountMinor: 1_700,
          currency: 'EUR',
        },
        inUnitOfWork: false,
      },
    ]);
    expect(outbox.events).toEqual([
      expect.objectContaining({
        type: 'payments.payment-captured.v1',
        subject: ORDER,
        source: '/modules/payments',
        data: { orderId: ORDER, captureId: 'cap-1', amountMinor: 1_700, currency: 'EUR' },
      }),
    ]);
    expect(captures.rows.get(ORDER)).toMatchObject({ status: 'CAPTURED', attempts: 1, version: 2 });
  });

  it('answers a repeat of a captured order from its record, with no call, and records its event again', async () => {
    const { handler, gateway, outbox, captures } = setup();
    const first = await handler.execute(capture());
    expect(await handler.execute(capture())).toEqual(first);
    expect(gateway.requests).toHaveLength(1);
    const captured = {
      type: 'payments.payment-captured.v1',
      data: { orderId: ORDER, captureId: 'cap-1', amountMinor: 1_700, currency: 'EUR' },
    };
    expect(outbox.events.map(({ type, data }) => ({ type, data }))).toEqual([captured, captured]);
    expect(outbox.events[1]!.id).not.toBe(outbox.events[0]!.id);
    expect(captures.rows.get(ORDER)).toMatchObject({ attempts: 1, version: 2 });
  });

  it('answers a repeat for a refunded order with its capture: payment-captured again, no call, still refunded', async () => {
    const { handler, gateway, captures, types } = setup();
    await handler.execute(capture());
    const refunded = Capture.restore(captures.rows.get(ORDER)!);
    refunded.recordRefunded('ref-1');
    captures.rows.set(ORDER, refunded.snapshot());

    expect(await handler.execute(capture())).toMatchObject({ status: 'CAPTURED', captureId: 'cap-1' });
    expect(gateway.requests).toHaveLength(1);
    expect(types()).toEqual(['payments.payment-captured.v1', 'payments.payment-captured.v1']);
    expect(captures.rows.get(ORDER)).toMatchObject({ status: 'REFUNDED', refundId: 'ref-1' });
  });

  it('records a decline as its own outcome, final like a capture', async () => {
    const { handler, gateway, types } = setup();
    gateway.answers.push({ status: 'DECLINED', captureId: 'cap-2', declineReason: 'CARD_DECLINED' });
    const declined = { orderId: ORDER, status: 'DECLINED', captureId: 'cap-2', reason: 'CARD_DECLINED' };
    expect(await handler.execute(capture())).toEqual(declined);
    expect(await handler.execute(capture())).toEqual(declined);
    expect(gateway.requests).toHaveLength(1);
    expect(types()).toEqual(['payments.payment-declined.v1', 'payments.payment-declined.v1']);
  });

  it('records an unavailable provider as a retryable failure, and asks again with the same key next time', async () => {
    const { handler, gateway, outbox, captures, types } = setup();
    gateway.answers.push(new PaymentGatewayUnavailable('Payment gateway unavailable: HTTP 503'));
    expect(await handler.execute(capture())).toEqual({
      orderId: ORDER,
      status: 'FAILED',
      reason: 'GATEWAY_UNAVAILABLE',
      retryable: true,
    });
    expect(outbox.events[0]!.data).toEqual({ orderId: ORDER, reason: 'GATEWAY_UNAVAILABLE', retryable: true });
    expect(captures.rows.get(ORDER)).toMatchObject({ status: 'FAILED', lastError: expect.stringContaining('503') });

    expect(await handler.execute(capture())).toMatchObject({ status: 'CAPTURED' });
    expect(new Set(gateway.requests.map(({ request }) => request.idempotencyKey)).size).toBe(1);
    expect(types()).toEqual(['payments.payment-failed.v1', 'payments.payment-captured.v1']);
    expect(captures.rows.get(ORDER)).toMatchObject({ attempts: 2, version: 3, failureReason: null });
  });

  it('records a refused request as a failure that is not retryable', async () => {
    const { handler, gateway } = setup();
    gateway.answers.push(new PaymentRequestRefused('HTTP 409 idempotency-key-reused'));
    expect(await handler.execute(capture())).toEqual({
      orderId: ORDER,
      status: 'FAILED',
      reason: 'REQUEST_REFUSED',
      retryable: false,
    });
  });

  it('lets an error that is no answer of the provider through, leaving the capture PENDING and nothing published', async () => {
    const { handler, gateway, outbox, captures } = setup();
    gateway.answers.push(new TypeError('a bug'));
    await expect(handler.execute(capture())).rejects.toThrow('a bug');
    expect(captures.rows.get(ORDER)).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(outbox.events).toHaveLength(0);
  });

  it('refuses a command breaking a rule before anything is written or called', async () => {
    const { handler, gateway, captures } = setup();
    await expect(handler.execute(capture({ amountMinor: 0 }))).rejects.toMatchObject({
      rule: 'CaptureAmountMustBePositive',
    });
    expect(captures.rows.size).toBe(0);
    expect(gateway.requests).toHaveLength(0);
  });

  it('refuses a repeat with other terms, even for a captured order, without calling the provider', async () => {
    const { handler, gateway } = setup();
    await handler.execute(capture());
    await expect(handler.execute(capture({ amountMinor: 1_800 }))).rejects.toMatchObject({
      rule: 'RepeatedCaptureMustMatchFirst',
    });
    expect(gateway.requests).toHaveLength(1);
  });

  it('asks again, with the same key, after a crash between the call and the recording', async () => {
    const { handler, gateway, captures, outbox } = setup();
    captures.beforeSaveOutcome = () => {
      throw new Error('crash');
    };
    await expect(handler.execute(capture())).rejects.toThrow('crash');
    expect(captures.rows.get(ORDER)).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(await handler.execute(capture())).toMatchObject({ status: 'CAPTURED' });
    expect(gateway.requests.map(({ request }) => request.idempotencyKey)).toEqual([
      `order-${ORDER}-capture`,
      `order-${ORDER}-capture`,
    ]);
    expect(outbox.events).toHaveLength(1);
  });

  describe('when another handler of the order records first', () => {
    const recordedElsewhere = (captures: FakeCaptures, record: (capture: Capture) => void) => () => {
      const other = Capture.restore(captures.rows.get(ORDER)!);
      record(other);
      captures.rows.set(ORDER, other.snapshot());
    };

    it('answers with its decision and publishes nothing', async () => {
      const { handler, captures, outbox } = setup();
      captures.beforeSaveOutcome = recordedElsewhere(captures, (other) => other.recordCaptured('cap-1'));
      expect(await handler.execute(capture())).toMatchObject({ status: 'CAPTURED', captureId: 'cap-1' });
      expect(outbox.events).toHaveLength(0);
    });

    it('records the provider decision over its failure', async () => {
      const { handler, captures, types } = setup();
      captures.beforeSaveOutcome = recordedElsewhere(captures, (other) =>
        other.recordFailed('GATEWAY_UNAVAILABLE', 'timeout'),
      );
      expect(await handler.execute(capture())).toMatchObject({ status: 'CAPTURED' });
      expect(captures.rows.get(ORDER)).toMatchObject({ status: 'CAPTURED', version: 3 });
      expect(types()).toEqual(['payments.payment-captured.v1']);
    });

    it('keeps its failure when this one failed too, and publishes nothing more', async () => {
      const { handler, captures, gateway, outbox } = setup();
      gateway.answers.push(new PaymentGatewayUnavailable('down'));
      captures.beforeSaveOutcome = recordedElsewhere(captures, (other) =>
        other.recordFailed('GATEWAY_UNAVAILABLE', 'timeout'),
      );
      expect(await handler.execute(capture())).toMatchObject({ status: 'FAILED', retryable: true });
      expect(captures.rows.get(ORDER)).toMatchObject({ lastError: 'timeout', version: 2 });
      expect(outbox.events).toHaveLength(0);
    });
  });
});
