import { CaptureAmountMustBePositive } from './capture-amount-must-be-positive.rule';

describe('CaptureAmountMustBePositive', () => {
  it.each([1, 1_700, 10_000_001, Number.MAX_SAFE_INTEGER])('holds for %d', (amount) => {
    expect(new CaptureAmountMustBePositive(amount).isBroken()).toBe(false);
  });
  it.each([0, -1, 0.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY])(
    'is broken by %d',
    (amount) => {
      expect(new CaptureAmountMustBePositive(amount).isBroken()).toBe(true);
    },
  );
});
