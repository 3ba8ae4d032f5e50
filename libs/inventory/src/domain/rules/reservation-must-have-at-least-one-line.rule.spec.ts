import { ReservationMustHaveAtLeastOneLine } from './reservation-must-have-at-least-one-line.rule';

describe('ReservationMustHaveAtLeastOneLine', () => {
  it.each([1, 2, 50])('holds for %d lines', (count) => {
    expect(new ReservationMustHaveAtLeastOneLine(count).isBroken()).toBe(false);
  });
  it('is broken by no line', () => {
    expect(new ReservationMustHaveAtLeastOneLine(0).isBroken()).toBe(true);
  });
});
