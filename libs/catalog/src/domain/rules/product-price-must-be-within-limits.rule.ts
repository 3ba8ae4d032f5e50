import type { BusinessRule } from '@platform/ddd';

/** 1,000,000.00 in a two-decimal currency: keeps any order total within safe integer range. */
export const MAX_PRICE_MINOR = 100_000_000;

export class ProductPriceMustBeWithinLimits implements BusinessRule {
  readonly name = 'ProductPriceMustBeWithinLimits';
  readonly message = `A price is a whole number of minor units between 0 and ${MAX_PRICE_MINOR}.`;

  constructor(private readonly priceMinor: number) {}

  isBroken(): boolean {
    return !Number.isSafeInteger(this.priceMinor) || this.priceMinor < 0 || this.priceMinor > MAX_PRICE_MINOR;
  }
}
