import type { BusinessRule } from '@platform/ddd';

export class OrderMustBeInOneCurrency implements BusinessRule {
  readonly name = 'OrderMustBeInOneCurrency';
  readonly message = 'All products of an order must be priced in the same currency; place one order per currency.';

  constructor(private readonly currencies: readonly string[]) {}

  isBroken(): boolean {
    return new Set(this.currencies).size > 1;
  }
}
