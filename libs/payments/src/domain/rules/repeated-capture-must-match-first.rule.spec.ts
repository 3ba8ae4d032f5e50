import { RepeatedCaptureMustMatchFirst } from './repeated-capture-must-match-first.rule';

const first = { customerId: 'customer-1', amountMinor: 1_700, currency: 'EUR' };

describe('RepeatedCaptureMustMatchFirst', () => {
  it('holds for the same terms', () => {
    expect(new RepeatedCaptureMustMatchFirst('o', first, { ...first }).isBroken()).toBe(false);
  });
  it.each([{ customerId: 'customer-2' }, { amountMinor: 1_701 }, { currency: 'USD' }])(
    'is broken by another %j',
    (change) => {
      expect(new RepeatedCaptureMustMatchFirst('o', first, { ...first, ...change }).isBroken()).toBe(true);
    },
  );
  it('names the order and both terms in its message', () => {
    const rule = new RepeatedCaptureMustMatchFirst('order-7', first, { ...first, amountMinor: 99 });
    expect(rule.message).toContain('order-7');
    expect(rule.message).toContain('1700 EUR');
    expect(rule.message).toContain('99 EUR');
  });
});
