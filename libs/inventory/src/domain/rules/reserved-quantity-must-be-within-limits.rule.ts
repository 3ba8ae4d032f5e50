import type { BusinessRule } from '@platform/ddd';

/** The most one line may reserve; far above any order's quantity, and within a 4-byte integer column. */
export const MAX_RESERVED_QUANTITY = 1_000_000;

export class ReservedQuantityMustBeWithinLimits implements BusinessRule {
  readonly name = 'ReservedQuantityMustBeWithinLimits';
  readonly message: string;

  constructor(
    sku: string,
    private readonly quantity: number,
  ) {
    this.message = `The quantity of ${sku} to reserve or release must be a whole number from 1 to ${MAX_RESERVED_QUANTITY}.`;
  }

  isBroken(): boolean {
    return !Number.isInteger(this.quantity) || this.quantity < 1 || this.quantity > MAX_RESERVED_QUANTITY;
  }
}
