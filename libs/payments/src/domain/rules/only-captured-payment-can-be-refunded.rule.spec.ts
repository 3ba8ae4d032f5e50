import { OnlyCapturedPaymentCanBeRefunded } from './only-captured-payment-can-be-refunded.rule';

describe('OnlyCapturedPaymentCanBeRefunded', () => {
  it('holds for a CAPTURED capture', () => {
    expect(new OnlyCapturedPaymentCanBeRefunded('o', 'CAPTURED').isBroken()).toBe(false);
  });
  it.each(['PENDING', 'FAILED', 'DECLINED', 'REFUNDED'])('is broken by a %s capture', (status) => {
    const rule = new OnlyCapturedPaymentCanBeRefunded('order-7', status);
    expect(rule.isBroken()).toBe(true);
    expect(rule.message).toBe(`The capture of order order-7 is ${status}: only a CAPTURED payment can be refunded.`);
  });
  it('is broken by an order with no capture, and says so', () => {
    const rule = new OnlyCapturedPaymentCanBeRefunded('order-7', null);
    expect(rule.isBroken()).toBe(true);
    expect(rule.message).toContain('Order order-7 has no capture');
  });
});
