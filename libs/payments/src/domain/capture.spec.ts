import { BusinessRuleViolation } from '@platform/ddd';
import {
  Capture,
  captureIdempotencyKey,
  CaptureStatus,
  FailureReason,
  isRetryable,
  MAX_ERROR_LENGTH,
  refundIdempotencyKey,
} from './capture';

const ORDER = '01a20101-1ff1-7459-8023-368506bbe576';
const terms = { customerId: 'customer-1', amountMinor: 1_700, currency: 'EUR' };
const requested = () => Capture.request(ORDER, terms);
const failed = () => {
  const capture = requested();
  capture.startAttempt();
  capture.recordFailed(FailureReason.GatewayUnavailable, 'no answer within 2000 ms');
  return capture;
};

describe('Capture', () => {
  it('is requested PENDING, with the key derived from its order, no attempt and version 1', () => {
    expect(requested().snapshot()).toEqual({
      orderId: ORDER,
      idempotencyKey: `order-${ORDER}-capture`,
      ...terms,
      status: 'PENDING',
      captureId: null,
      declineReason: null,
      failureReason: null,
      attempts: 0,
      lastError: null,
      version: 1,
      refundId: null,
      refundAttempts: 0,
      refundLastError: null,
    });
  });

  it('derives a stable idempotency key from the order alone', () => {
    expect(captureIdempotencyKey(ORDER)).toBe(captureIdempotencyKey(ORDER));
    expect(Capture.request(ORDER, { ...terms, amountMinor: 5 }).snapshot().idempotencyKey).toBe(
      requested().snapshot().idempotencyKey,
    );
  });

  it.each([
    [{ amountMinor: 0 }, 'CaptureAmountMustBePositive'],
    [{ currency: 'eur' }, 'CaptureCurrencyMustBeIso4217Code'],
    [{ customerId: ' ' }, 'CaptureCustomerMustBeGiven'],
  ])('refuses a request with %j (%s)', (change, rule) => {
    expect(() => Capture.request(ORDER, { ...terms, ...change })).toThrow(expect.objectContaining({ rule }));
  });

  it('refuses a request for something that is not an order id', () => {
    expect(() => Capture.request('order-1', terms)).toThrow(
      expect.objectContaining({ rule: 'CaptureMustReferenceAnOrder' }),
    );
  });

  it('counts attempts without changing its version', () => {
    const capture = requested();
    capture.startAttempt();
    capture.startAttempt();
    expect(capture.snapshot()).toMatchObject({ attempts: 2, version: 1, status: 'PENDING' });
  });

  it('goes PENDING -> CAPTURED with the provider id, and is then final', () => {
    const capture = requested();
    capture.recordCaptured('cap-1');
    expect(capture.snapshot()).toMatchObject({ status: 'CAPTURED', captureId: 'cap-1', version: 2 });
    expect(capture.isFinal).toBe(true);
  });

  it('goes PENDING -> DECLINED with the reason, and is then final', () => {
    const capture = requested();
    capture.recordDeclined('cap-2', 'CARD_DECLINED');
    expect(capture.snapshot()).toMatchObject({
      status: 'DECLINED',
      captureId: 'cap-2',
      declineReason: 'CARD_DECLINED',
    });
    expect(capture.isFinal).toBe(true);
  });

  it('goes PENDING -> FAILED, which is not final', () => {
    const capture = failed();
    expect(capture.snapshot()).toMatchObject({
      status: 'FAILED',
      failureReason: 'GATEWAY_UNAVAILABLE',
      lastError: 'no answer within 2000 ms',
      attempts: 1,
      version: 2,
    });
    expect(capture.isFinal).toBe(false);
  });

  it.each([
    ['CAPTURED', (capture: Capture) => capture.recordCaptured('cap-3')],
    ['DECLINED', (capture: Capture) => capture.recordDeclined('cap-3', 'CARD_DECLINED')],
    ['FAILED', (capture: Capture) => capture.recordFailed(FailureReason.RequestRefused, 'HTTP 409')],
  ])('goes FAILED -> %s when asked again', (status, record) => {
    const capture = failed();
    capture.startAttempt();
    record(capture);
    expect(capture.snapshot()).toMatchObject({ status, attempts: 2, version: 3 });
    expect(capture.snapshot().failureReason).toBe(status === 'FAILED' ? 'REQUEST_REFUSED' : null);
  });

  it('keeps the last error after a later capture, for the record', () => {
    const capture = failed();
    capture.recordCaptured('cap-4');
    expect(capture.snapshot()).toMatchObject({ status: 'CAPTURED', lastError: 'no answer within 2000 ms' });
  });

  it.each([
    ['captured', (capture: Capture) => capture.recordCaptured('cap-5')],
    ['declined', (capture: Capture) => capture.recordDeclined('cap-5', 'CARD_DECLINED')],
  ])('once %s, refuses every change and stays as it was', (_final, decide) => {
    const capture = requested();
    decide(capture);
    const before = capture.snapshot();
    for (const change of [
      () => capture.startAttempt(),
      () => capture.recordCaptured('cap-6'),
      () => capture.recordDeclined('cap-6', 'CARD_DECLINED'),
      () => capture.recordFailed(FailureReason.GatewayUnavailable, 'x'),
    ]) {
      expect(change).toThrow(BusinessRuleViolation);
      expect(change).toThrow(expect.objectContaining({ rule: 'FinalCaptureCannotChange' }));
    }
    expect(capture.snapshot()).toEqual(before);
  });

  it('accepts a repeat with the same terms and refuses one with other terms', () => {
    const capture = requested();
    expect(() => capture.checkRepeat({ ...terms })).not.toThrow();
    expect(() => capture.checkRepeat({ ...terms, amountMinor: 1_701 })).toThrow(
      expect.objectContaining({ rule: 'RepeatedCaptureMustMatchFirst' }),
    );
  });

  it('keeps at most MAX_ERROR_LENGTH characters of an error', () => {
    const capture = requested();
    capture.recordFailed(FailureReason.GatewayUnavailable, 'x'.repeat(MAX_ERROR_LENGTH + 10));
    expect(capture.snapshot().lastError).toHaveLength(MAX_ERROR_LENGTH);
  });

  it('restores a copy of its state', () => {
    const state = failed().snapshot();
    const restored = Capture.restore(state);
    restored.recordCaptured('cap-7');
    expect(state.status).toBe(CaptureStatus.Failed);
  });

  describe('refunds', () => {
    const captured = () => {
      const capture = requested();
      capture.startAttempt();
      capture.recordCaptured('cap-8');
      return capture;
    };

    it('derives the refund key from the order alone, apart from the capture key', () => {
      expect(refundIdempotencyKey(ORDER)).toBe(`order-${ORDER}-refund`);
      expect(refundIdempotencyKey(ORDER)).not.toBe(captureIdempotencyKey(ORDER));
    });

    it('goes CAPTURED -> REFUNDED with the provider refund id, counting the attempt, and is then final', () => {
      const capture = captured();
      capture.startRefundAttempt();
      expect(capture.snapshot()).toMatchObject({ status: 'CAPTURED', refundAttempts: 1, version: 2 });
      capture.recordRefunded('ref-1');
      expect(capture.snapshot()).toMatchObject({
        status: 'REFUNDED',
        captureId: 'cap-8',
        refundId: 'ref-1',
        refundAttempts: 1,
        version: 3,
      });
      expect(capture.isFinal).toBe(true);
    });

    it('stays CAPTURED when a refund fails, keeping its error, and is refunded when asked again', () => {
      const capture = captured();
      capture.startRefundAttempt();
      capture.recordRefundFailed('no answer within 2000 ms');
      expect(capture.snapshot()).toMatchObject({
        status: 'CAPTURED',
        refundId: null,
        refundLastError: 'no answer within 2000 ms',
        version: 3,
      });
      capture.startRefundAttempt();
      capture.recordRefunded('ref-2');
      expect(capture.snapshot()).toMatchObject({
        status: 'REFUNDED',
        refundId: 'ref-2',
        refundAttempts: 2,
        refundLastError: 'no answer within 2000 ms',
        version: 4,
      });
    });

    it('keeps at most MAX_ERROR_LENGTH characters of a refund error', () => {
      const capture = captured();
      capture.recordRefundFailed('x'.repeat(MAX_ERROR_LENGTH + 10));
      expect(capture.snapshot().refundLastError).toHaveLength(MAX_ERROR_LENGTH);
    });

    it.each([
      ['PENDING', requested],
      ['FAILED', failed],
      [
        'DECLINED',
        () => {
          const capture = requested();
          capture.recordDeclined('cap-9', 'CARD_DECLINED');
          return capture;
        },
      ],
      [
        'REFUNDED',
        () => {
          const capture = captured();
          capture.recordRefunded('ref-3');
          return capture;
        },
      ],
    ])('refuses to refund a %s capture, and stays as it was', (_status, make) => {
      const capture = make();
      const before = capture.snapshot();
      for (const refund of [
        () => capture.startRefundAttempt(),
        () => capture.recordRefunded('ref-4'),
        () => capture.recordRefundFailed('x'),
      ]) {
        expect(refund).toThrow(expect.objectContaining({ rule: 'OnlyCapturedPaymentCanBeRefunded' }));
      }
      expect(capture.snapshot()).toEqual(before);
    });

    it('once refunded, refuses every capture change', () => {
      const capture = captured();
      capture.recordRefunded('ref-5');
      for (const change of [
        () => capture.startAttempt(),
        () => capture.recordCaptured('cap-10'),
        () => capture.recordFailed(FailureReason.GatewayUnavailable, 'x'),
      ]) {
        expect(change).toThrow(expect.objectContaining({ rule: 'FinalCaptureCannotChange' }));
      }
    });
  });

  it('tells a retryable failure from one that is not', () => {
    expect(isRetryable(FailureReason.GatewayUnavailable)).toBe(true);
    expect(isRetryable(FailureReason.RequestRefused)).toBe(false);
  });
});
