import {
  MAX_RESERVED_QUANTITY,
  ReservedQuantityMustBeWithinLimits,
} from './reserved-quantity-must-be-within-limits.rule';

describe('ReservedQuantityMustBeWithinLimits', () => {
  it.each([1, 2, 1000, MAX_RESERVED_QUANTITY])('holds for %d', (quantity) => {
    expect(new ReservedQuantityMustBeWithinLimits('TEA', quantity).isBroken()).toBe(false);
  });
  it.each([0, -1, 1.5, MAX_RESERVED_QUANTITY + 1, Number.NaN, Number.POSITIVE_INFINITY])(
    'is broken by %d',
    (quantity) => {
      expect(new ReservedQuantityMustBeWithinLimits('TEA', quantity).isBroken()).toBe(true);
    },
  );
  it('names the sku in its message', () => {
    expect(new ReservedQuantityMustBeWithinLimits('TEA-SENCHA-100G', 0).message).toContain('TEA-SENCHA-100G');
  });
});
