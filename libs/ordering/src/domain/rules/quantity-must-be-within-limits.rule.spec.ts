import { QuantityMustBeWithinLimits } from './quantity-must-be-within-limits.rule';

describe('QuantityMustBeWithinLimits', () => {
  it.each([1, 2, 999, 1000])('holds for %d', (quantity) => {
    expect(new QuantityMustBeWithinLimits('TEA', quantity).isBroken()).toBe(false);
  });
  it.each([0, -1, 1.5, 1001, Number.MAX_SAFE_INTEGER + 2, Number.NaN])('is broken by %d', (quantity) => {
    expect(new QuantityMustBeWithinLimits('TEA', quantity).isBroken()).toBe(true);
  });
  it('names the sku in its message', () => {
    expect(new QuantityMustBeWithinLimits('TEA-SENCHA-100G', 0).message).toContain('TEA-SENCHA-100G');
  });
});
