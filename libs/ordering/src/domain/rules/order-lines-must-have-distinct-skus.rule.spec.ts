import { OrderLinesMustHaveDistinctSkus } from './order-lines-must-have-distinct-skus.rule';

describe('OrderLinesMustHaveDistinctSkus', () => {
  it('holds for distinct skus', () => expect(new OrderLinesMustHaveDistinctSkus(['A', 'B']).isBroken()).toBe(false));
  it('is broken by a repeated sku', () =>
    expect(new OrderLinesMustHaveDistinctSkus(['A', 'B', 'A']).isBroken()).toBe(true));
});
