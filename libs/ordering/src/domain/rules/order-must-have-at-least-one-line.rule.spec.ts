import { OrderMustHaveAtLeastOneLine } from './order-must-have-at-least-one-line.rule';

describe('OrderMustHaveAtLeastOneLine', () => {
  it('is broken by an order without lines', () => expect(new OrderMustHaveAtLeastOneLine(0).isBroken()).toBe(true));
  it('holds for one line', () => expect(new OrderMustHaveAtLeastOneLine(1).isBroken()).toBe(false));
});
