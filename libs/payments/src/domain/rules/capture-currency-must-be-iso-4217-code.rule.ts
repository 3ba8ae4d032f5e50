import type { BusinessRule } from '@platform/ddd';

export class CaptureCurrencyMustBeIso4217Code implements BusinessRule {
  readonly name = 'CaptureCurrencyMustBeIso4217Code';
  readonly message = "A capture's currency is a three-letter ISO 4217 code such as EUR, the order's currency.";

  constructor(private readonly currency: string) {}

  isBroken(): boolean {
    return !/^[A-Z]{3}$/.test(this.currency);
  }
}
