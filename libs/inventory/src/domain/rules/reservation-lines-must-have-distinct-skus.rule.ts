import type { BusinessRule } from '@platform/ddd';

/** One line per sku: a reservation holds one quantity of each sku, released as one. */
export class ReservationLinesMustHaveDistinctSkus implements BusinessRule {
  readonly name = 'ReservationLinesMustHaveDistinctSkus';
  readonly message = 'Each sku may appear on one line of a reservation only.';

  constructor(private readonly skus: readonly string[]) {}

  isBroken(): boolean {
    return new Set(this.skus).size !== this.skus.length;
  }
}
