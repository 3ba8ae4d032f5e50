import type { BusinessRule } from '@platform/ddd';
import { OrderLimits } from '../order-limits';

export class QuantityMustBeWithinLimits implements BusinessRule {
  readonly name = 'QuantityMustBeWithinLimits';
  readonly message: string;

  constructor(
    private readonly sku: string,
    private readonly quantity: number,
  ) {
    this.message = `The quantity of ${sku} must be a whole number from ${OrderLimits.minQuantity} to ${OrderLimits.maxQuantity}.`;
  }

  isBroken(): boolean {
    return (
      !Number.isInteger(this.quantity) ||
      this.quantity < OrderLimits.minQuantity ||
      this.quantity > OrderLimits.maxQuantity
    );
  }
}
