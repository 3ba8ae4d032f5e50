import { ReservationLinesMustHaveDistinctSkus } from './reservation-lines-must-have-distinct-skus.rule';

describe('ReservationLinesMustHaveDistinctSkus', () => {
  it.each([[[]], [['TEA']], [['TEA', 'COFFEE']]])('holds for %j', (skus) => {
    expect(new ReservationLinesMustHaveDistinctSkus(skus).isBroken()).toBe(false);
  });
  it.each([[['TEA', 'TEA']], [['TEA', 'COFFEE', 'TEA']]])('is broken by %j', (skus) => {
    expect(new ReservationLinesMustHaveDistinctSkus(skus).isBroken()).toBe(true);
  });
});
