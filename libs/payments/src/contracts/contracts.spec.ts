import { parsePayload } from '@platform/messaging';
import { CapturePaymentV1 } from './capture-payment.v1';
import { PaymentCapturedV1 } from './payment-captured.v1';
import { PaymentDeclinedV1 } from './payment-declined.v1';
import { PaymentFailedV1 } from './payment-failed.v1';
import { PaymentRefundedV1 } from './payment-refunded.v1';
import { RefundFailedV1 } from './refund-failed.v1';
import { RefundPaymentV1 } from './refund-payment.v1';

const orderId = '0194a8a0-0000-7000-8000-000000000001';
const command = { orderId, customerId: 'customer-1', amountMinor: 1_700, currency: 'EUR' };

describe('payments contracts', () => {
  it('name the command and events <module>.<name>.v<version>', () => {
    expect(
      [
        CapturePaymentV1,
        PaymentCapturedV1,
        PaymentDeclinedV1,
        PaymentFailedV1,
        RefundPaymentV1,
        PaymentRefundedV1,
        RefundFailedV1,
      ].map((c) => c.type),
    ).toEqual([
      'payments.capture-payment.v1',
      'payments.payment-captured.v1',
      'payments.payment-declined.v1',
      'payments.payment-failed.v1',
      'payments.refund-payment.v1',
      'payments.payment-refunded.v1',
      'payments.refund-failed.v1',
    ]);
  });

  it('accept a well-formed capture-payment command', () => {
    expect(parsePayload(CapturePaymentV1, command)).toEqual(command);
  });

  it.each<[string, unknown]>([
    ['an order id that is not a UUID', { ...command, orderId: 'o-1' }],
    ['no customer', { ...command, customerId: '' }],
    ['an amount of zero', { ...command, amountMinor: 0 }],
    ['a fractional amount', { ...command, amountMinor: 17.5 }],
    ['a lower-case currency', { ...command, currency: 'eur' }],
  ])('refuse a capture-payment command with %s', (_case, invalid) => {
    expect(() => parsePayload(CapturePaymentV1, invalid)).toThrow('does not match its contract');
  });

  it('accept each outcome event', () => {
    const captured = { orderId, captureId: 'cap-1', amountMinor: 1_700, currency: 'EUR' };
    expect(parsePayload(PaymentCapturedV1, captured)).toEqual(captured);
    expect(parsePayload(PaymentDeclinedV1, { orderId, reason: 'CARD_DECLINED' })).toEqual({
      orderId,
      reason: 'CARD_DECLINED',
    });
    const failed = { orderId, reason: 'GATEWAY_UNAVAILABLE', retryable: true };
    expect(parsePayload(PaymentFailedV1, failed)).toEqual(failed);
  });

  it('refuse a failure without a known reason or without retryable, and a decline without a reason', () => {
    expect(() => parsePayload(PaymentFailedV1, { orderId, reason: 'DECLINED', retryable: false })).toThrow();
    expect(() => parsePayload(PaymentFailedV1, { orderId, reason: 'REQUEST_REFUSED' })).toThrow();
    expect(() => parsePayload(PaymentDeclinedV1, { orderId, reason: '' })).toThrow();
  });

  it('accept a refund-payment command for an order, and refuse one for anything else', () => {
    expect(parsePayload(RefundPaymentV1, { orderId })).toEqual({ orderId });
    expect(() => parsePayload(RefundPaymentV1, { orderId: 'o-1' })).toThrow('does not match its contract');
    expect(() => parsePayload(RefundPaymentV1, {})).toThrow('does not match its contract');
  });

  it('accept each refund outcome event', () => {
    const refunded = { orderId, refundId: 'ref-1', amountMinor: 1_700, currency: 'EUR' };
    expect(parsePayload(PaymentRefundedV1, refunded)).toEqual(refunded);
    const failed = { orderId, reason: 'REQUEST_REFUSED', retryable: false };
    expect(parsePayload(RefundFailedV1, failed)).toEqual(failed);
  });

  it('refuse a refund without its id or amount, and a refund failure without a known reason or retryable', () => {
    expect(() => parsePayload(PaymentRefundedV1, { orderId, refundId: '', amountMinor: 1, currency: 'EUR' })).toThrow();
    expect(() => parsePayload(PaymentRefundedV1, { orderId, refundId: 'ref-1', currency: 'EUR' })).toThrow();
    expect(() => parsePayload(RefundFailedV1, { orderId, reason: 'DECLINED', retryable: false })).toThrow();
    expect(() => parsePayload(RefundFailedV1, { orderId, reason: 'GATEWAY_UNAVAILABLE' })).toThrow();
  });
});
