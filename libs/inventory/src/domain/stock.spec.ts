import { BusinessRuleViolation } from '@platform/ddd';
import { Stock } from './stock';

const matcha = (available = 3, reserved = 0) => Stock.restore({ sku: 'TEA-MATCHA-30G', available, reserved });

describe('Stock', () => {
  it('moves reserved units from available to reserved, keeping the total', () => {
    const stock = matcha(3);
    expect(stock.canReserve(3)).toBe(true);
    stock.reserve(2);
    expect(stock.snapshot()).toEqual({ sku: 'TEA-MATCHA-30G', available: 1, reserved: 2 });
  });

  it('moves released units back', () => {
    const stock = matcha(1, 2);
    stock.release(2);
    expect(stock.snapshot()).toEqual({ sku: 'TEA-MATCHA-30G', available: 3, reserved: 0 });
  });

  it('cannot reserve more than is available, and stays as it was', () => {
    const stock = matcha(3);
    expect(stock.canReserve(4)).toBe(false);
    expect(() => stock.reserve(4)).toThrow(expect.objectContaining({ rule: 'StockCannotGoBelowZero' }));
    expect(stock.snapshot()).toMatchObject({ available: 3, reserved: 0 });
  });

  it('cannot release more than is reserved', () => {
    expect(() => matcha(3, 1).release(2)).toThrow(expect.objectContaining({ rule: 'StockCannotGoBelowZero' }));
  });

  it.each([0, -1, 1.5])('refuses to move %d units', (quantity) => {
    expect(() => matcha(3, 3).reserve(quantity)).toThrow(
      expect.objectContaining({ rule: 'ReservedQuantityMustBeWithinLimits' }),
    );
    expect(() => matcha(3, 3).release(quantity)).toThrow(
      expect.objectContaining({ rule: 'ReservedQuantityMustBeWithinLimits' }),
    );
  });

  it('refuses to restore a stock below zero', () => {
    expect(() => matcha(-1)).toThrow(BusinessRuleViolation);
  });
});
