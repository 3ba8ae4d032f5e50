import { OrderMustBeInOneCurrency } from './order-must-be-in-one-currency.rule';

describe('OrderMustBeInOneCurrency', () => {
  it('holds for one currency', () => expect(new OrderMustBeInOneCurrency(['EUR', 'EUR']).isBroken()).toBe(false));
  it('is broken by two currencies', () => expect(new OrderMustBeInOneCurrency(['EUR', 'USD']).isBroken()).toBe(true));
});
