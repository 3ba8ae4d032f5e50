import type { BusinessRule } from '@platform/ddd';

export class OrderLinesMustHaveDistinctSkus implements BusinessRule {
  readonly name = 'OrderLinesMustHaveDistinctSkus';
  readonly message = 'Each sku may appear on one line only; combine the quantities instead.';

  constructor(private readonly skus: readonly string[]) {}

  isBroken(): boolean {
    return new Set(this.skus).size !== this.skus.length;
  }
}
