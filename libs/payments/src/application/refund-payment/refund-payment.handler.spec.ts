import { Logger } from '@nestjs/common';
import { Capture, FailureReason } from '../../domain/capture';
import { FakeCaptures, FakeGateway, FakeOutbox, FakeUnitOfWork } from '../in-memory-ports';
import { PaymentGatewayUnavailable, PaymentRequestRefused } from '../payment-gateway';
import { RefundPaymentCommand } from './refund-payment.command';
import { RefundPaymentHandler } from './refund-payment.handler';

const ORDER = '01a20101-1ff1-7459-8023-368506bbe576';
const terms = { customerId: 'customer-1', amountMinor: 1_700, currency: 'EUR' };
const refund = () => new RefundPaymentCommand(ORDER);
const refunded = { orderId: ORDER, status: 'REFUNDED', refundId: 'ref-1', amountMinor: 1_700, currency: 'EUR' };
const refusal = { orderId: ORDER, status: 'FAILED', reason: 'REQUEST_REFUSED', retryable: false };

/** A capture of ORDER in the state `decide` leaves it. */
function captureOf(decide: (capture: Capture) => void): Capture {
  const capture = Capture.request(ORDER, terms);
  capture.startAttempt();
  decide(capture);
  return capture;
}
const captured = () => captureOf((capture) => capture.recordCaptured('cap-1'));

describe('RefundPaymentHandler', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  const setup = (capture: Capture | null = captured()) => {
    const unitOfWork = new FakeUnitOfWork();
    const outbox = new FakeOutbox(unitOfWork);
    const captures = new FakeCaptures(outbox);
    if (capture) {
      captures.rows.set(ORDER, capture.snapshot());
    }
    const gateway = new FakeGateway(unitOfWork);
    const handler = new RefundPaymentHandler(captures, gateway, unitOfWork, outbox);
    const types = () => outbox.events.map((event) => event.type);
    return { captures, gateway, outbox, handler, types };
  };

  it('refunds the capture with the key derived from the order, outside any unit of work, and records the event', async () => {
    const { handler, gateway, outbox, captures } = setup();
    expect(await handler.execute(refund())).toEqual(refunded);
    expect(gateway.refundRequests).toEqual([
      { request: { idempotencyKey: `order-${ORDER}-refund`, captureId: 'cap-1' }, inUnitOfWork: false },
    ]);
    expect(outbox.events).toEqual([
      expect.objectContaining({
        type: 'payments.payment-refunded.v1',
        subject: ORDER,
        source: '/modules/payments',
        data: { orderId: ORDER, refundId: 'ref-1', amountMinor: 1_700, currency: 'EUR' },
      }),
    ]);
    expect(captures.rows.get(ORDER)).toMatchObject({
      status: 'REFUNDED',
      captureId: 'cap-1',
      refundId: 'ref-1',
      refundAttempts: 1,
      version: 3,
    });
  });

  it('answers a repeat for a refunded order from its record, with no call, and records its event again', async () => {
    const { handler, gateway, outbox, types } = setup();
    await handler.execute(refund());
    expect(await handler.execute(refund())).toEqual(refunded);
    expect(gateway.refundRequests).toHaveLength(1);
    expect(types()).toEqual(['payments.payment-refunded.v1', 'payments.payment-refunded.v1']);
    expect(outbox.events[1]!.data).toEqual(outbox.events[0]!.data);
  });

  it('records an unavailable provider as a retryable refund failure, stays CAPTURED, and asks again with the same key', async () => {
    const { handler, gateway, captures, outbox, types } = setup();
    gateway.refundAnswers.push(new PaymentGatewayUnavailable('Payment gateway unavailable: HTTP 503'));
    expect(await handler.execute(refund())).toEqual({
      orderId: ORDER,
      status: 'FAILED',
      reason: 'GATEWAY_UNAVAILABLE',
      retryable: true,
    });
    expect(outbox.events[0]!.data).toEqual({ orderId: ORDER, reason: 'GATEWAY_UNAVAILABLE', retryable: true });
    expect(captures.rows.get(ORDER)).toMatchObject({
      status: 'CAPTURED',
      refundLastError: expect.stringContaining('503'),
      refundAttempts: 1,
    });

    expect(await handler.execute(refund())).toEqual(refunded);
    expect(new Set(gateway.refundRequests.map(({ request }) => request.idempotencyKey)).size).toBe(1);
    expect(types()).toEqual(['payments.refund-failed.v1', 'payments.payment-refunded.v1']);
    expect(captures.rows.get(ORDER)).toMatchObject({ status: 'REFUNDED', refundAttempts: 2, version: 4 });
  });

  it('records a refused request as a refund failure that is not retryable', async () => {
    const { handler, gateway } = setup();
    gateway.refundAnswers.push(new PaymentRequestRefused('HTTP 404 capture-not-found'));
    expect(await handler.execute(refund())).toEqual(refusal);
  });

  it.each<[string, Capture | null]>([
    ['no capture', null],
    ['a PENDING capture', Capture.request(ORDER, terms)],
    ['a FAILED capture', captureOf((capture) => capture.recordFailed(FailureReason.GatewayUnavailable, 'timeout'))],
    ['a DECLINED capture', captureOf((capture) => capture.recordDeclined('cap-2', 'CARD_DECLINED'))],
  ])(
    'refuses to refund an order with %s: no call, nothing changed, refund-failed published',
    async (_case, capture) => {
      const { handler, gateway, captures, outbox } = setup(capture);
      const before = captures.rows.get(ORDER);
      expect(await handler.execute(refund())).toEqual(refusal);
      expect(gateway.refundRequests).toHaveLength(0);
      expect(captures.rows.get(ORDER)).toEqual(before);
      expect(outbox.events).toEqual([
        expect.objectContaining({
          type: 'payments.refund-failed.v1',
          data: { orderId: ORDER, reason: 'REQUEST_REFUSED', retryable: false },
        }),
      ]);
    },
  );

  it('refuses an order id that is not a UUID before anything is read or called', async () => {
    const { handler, gateway } = setup();
    await expect(handler.execute(new RefundPaymentCommand('order-1'))).rejects.toMatchObject({
      rule: 'CaptureMustReferenceAnOrder',
    });
    expect(gateway.refundRequests).toHaveLength(0);
  });

  it('lets an error that is no answer of the provider through, leaving the capture CAPTURED and nothing published', async () => {
    const { handler, gateway, outbox, captures } = setup();
    gateway.refundAnswers.push(new TypeError('a bug'));
    await expect(handler.execute(refund())).rejects.toThrow('a bug');
    expect(captures.rows.get(ORDER)).toMatchObject({ status: 'CAPTURED', refundAttempts: 1 });
    expect(outbox.events).toHaveLength(0);
  });

  it('asks again, with the same key, after a crash between the call and the recording', async () => {
    const { handler, gateway, captures, types } = setup();
    captures.beforeSaveOutcome = () => {
      throw new Error('crash');
    };
    await expect(handler.execute(refund())).rejects.toThrow('crash');
    expect(captures.rows.get(ORDER)).toMatchObject({ status: 'CAPTURED', refundAttempts: 1 });
    expect(await handler.execute(refund())).toEqual(refunded);
    expect(gateway.refundRequests.map(({ request }) => request.idempotencyKey)).toEqual([
      `order-${ORDER}-refund`,
      `order-${ORDER}-refund`,
    ]);
    expect(types()).toEqual(['payments.payment-refunded.v1']);
  });

  describe('when another handler of the order records first', () => {
    const recordedElsewhere = (captures: FakeCaptures, record: (capture: Capture) => void) => () => {
      const other = Capture.restore(captures.rows.get(ORDER)!);
      record(other);
      captures.rows.set(ORDER, other.snapshot());
    };

    it('answers with its refund and publishes nothing', async () => {
      const { handler, captures, outbox } = setup();
      captures.beforeSaveOutcome = recordedElsewhere(captures, (other) => other.recordRefunded('ref-1'));
      expect(await handler.execute(refund())).toEqual(refunded);
      expect(outbox.events).toHaveLength(0);
    });

    it('records the refund over its failure', async () => {
      const { handler, captures, types } = setup();
      captures.beforeSaveOutcome = recordedElsewhere(captures, (other) => other.recordRefundFailed('timeout'));
      expect(await handler.execute(refund())).toEqual(refunded);
      expect(captures.rows.get(ORDER)).toMatchObject({ status: 'REFUNDED', refundLastError: 'timeout', version: 4 });
      expect(types()).toEqual(['payments.payment-refunded.v1']);
    });

    it('keeps its failure when this one failed too, and publishes nothing more', async () => {
      const { handler, captures, gateway, outbox } = setup();
      gateway.refundAnswers.push(new PaymentGatewayUnavailable('down'));
      captures.beforeSaveOutcome = recordedElsewhere(captures, (other) => other.recordRefundFailed('timeout'));
      expect(await handler.execute(refund())).toMatchObject({ status: 'FAILED', retryable: true });
      expect(captures.rows.get(ORDER)).toMatchObject({ status: 'CAPTURED', refundLastError: 'timeout', version: 3 });
      expect(outbox.events).toHaveLength(0);
    });
  });
});
