import { StockCannotGoBelowZero } from './stock-cannot-go-below-zero.rule';

describe('StockCannotGoBelowZero', () => {
  it.each([
    [0, 0],
    [100, 0],
    [0, 7],
    [3, 4],
  ])('holds for %d available, %d reserved', (available, reserved) => {
    expect(new StockCannotGoBelowZero('TEA', available, reserved).isBroken()).toBe(false);
  });
  it.each([
    [-1, 0],
    [0, -1],
    [-3, 10],
    [1.5, 0],
    [0, Number.NaN],
  ])('is broken by %d available, %d reserved', (available, reserved) => {
    expect(new StockCannotGoBelowZero('TEA', available, reserved).isBroken()).toBe(true);
  });
  it('names the sku in its message', () => {
    expect(new StockCannotGoBelowZero('TEA-MATCHA-30G', -1, 4).message).toContain('TEA-MATCHA-30G');
  });
});
