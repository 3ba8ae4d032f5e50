import { CaptureCurrencyMustBeIso4217Code } from './capture-currency-must-be-iso-4217-code.rule';

describe('CaptureCurrencyMustBeIso4217Code', () => {
  it.each(['EUR', 'USD'])('holds for %j', (currency) => {
    expect(new CaptureCurrencyMustBeIso4217Code(currency).isBroken()).toBe(false);
  });
  it.each(['eur', 'EURO', '', 'E1R', ' EUR'])('is broken by %j', (currency) => {
    expect(new CaptureCurrencyMustBeIso4217Code(currency).isBroken()).toBe(true);
  });
});
