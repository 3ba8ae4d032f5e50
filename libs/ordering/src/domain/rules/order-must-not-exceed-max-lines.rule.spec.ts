import { OrderMustNotExceedMaxLines } from './order-must-not-exceed-max-lines.rule';

describe('OrderMustNotExceedMaxLines', () => {
  it('holds for 50 lines', () => expect(new OrderMustNotExceedMaxLines(50).isBroken()).toBe(false));
  it('is broken by 51 lines', () => expect(new OrderMustNotExceedMaxLines(51).isBroken()).toBe(true));
});
