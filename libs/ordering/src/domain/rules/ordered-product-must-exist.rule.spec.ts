import { OrderedProductMustExist } from './ordered-product-must-exist.rule';

describe('OrderedProductMustExist', () => {
  it('holds when the catalog has a price', () => {
    expect(new OrderedProductMustExist('A', { priceMinor: 1, currency: 'EUR' }).isBroken()).toBe(false);
  });
  it('is broken when the catalog has no such product, and names it', () => {
    const rule = new OrderedProductMustExist('NOPE', undefined);
    expect(rule.isBroken()).toBe(true);
    expect(rule.message).toContain("'NOPE'");
  });
});
