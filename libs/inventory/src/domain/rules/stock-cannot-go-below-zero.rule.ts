import type { BusinessRule } from '@platform/ddd';

/**
 * Neither the quantity available nor the quantity reserved of a sku ever goes below zero: a
 * reservation takes only what is there, and a release returns only what was held. The migration's
 * CHECK constraints on inventory.stock hold the same line in the database.
 */
export class StockCannotGoBelowZero implements BusinessRule {
  readonly name = 'StockCannotGoBelowZero';
  readonly message: string;

  constructor(
    sku: string,
    private readonly available: number,
    private readonly reserved: number,
  ) {
    this.message = `The stock of ${sku} cannot go below zero (it would be ${available} available, ${reserved} reserved).`;
  }

  isBroken(): boolean {
    return ![this.available, this.reserved].every((quantity) => Number.isSafeInteger(quantity) && quantity >= 0);
  }
}
