import type { BusinessRule } from '@platform/ddd';

export class CurrencyMustBeIso4217Code implements BusinessRule {
  readonly name = 'CurrencyMustBeIso4217Code';
  readonly message = 'A currency is a three-letter ISO 4217 code such as EUR.';

  constructor(private readonly currency: string) {}

  isBroken(): boolean {
    return !/^[A-Z]{3}$/.test(this.currency);
  }
}
