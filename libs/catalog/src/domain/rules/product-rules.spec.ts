import { CurrencyMustBeIso4217Code } from './currency-must-be-iso-4217-code.rule';
import { ProductNameMustNotBeBlank } from './product-name-must-not-be-blank.rule';
import { MAX_PRICE_MINOR, ProductPriceMustBeWithinLimits } from './product-price-must-be-within-limits.rule';

describe('ProductNameMustNotBeBlank', () => {
  it.each(['Sencha', ' Sencha ', 'x'.repeat(200)])('holds for %j', (name) => {
    expect(new ProductNameMustNotBeBlank(name).isBroken()).toBe(false);
  });
  it.each(['', '   ', 'x'.repeat(201)])('is broken by %j', (name) => {
    expect(new ProductNameMustNotBeBlank(name).isBroken()).toBe(true);
  });
});

describe('ProductPriceMustBeWithinLimits', () => {
  it.each([0, 1, 1999, MAX_PRICE_MINOR])('holds for %d', (price) => {
    expect(new ProductPriceMustBeWithinLimits(price).isBroken()).toBe(false);
  });
  it.each([-1, 0.5, MAX_PRICE_MINOR + 1, Number.NaN, Number.POSITIVE_INFINITY])('is broken by %d', (price) => {
    expect(new ProductPriceMustBeWithinLimits(price).isBroken()).toBe(true);
  });
});

describe('CurrencyMustBeIso4217Code', () => {
  it('holds for EUR', () => expect(new CurrencyMustBeIso4217Code('EUR').isBroken()).toBe(false));
  it.each(['eur', 'EURO', '', 'E1R'])('is broken by %j', (currency) => {
    expect(new CurrencyMustBeIso4217Code(currency).isBroken()).toBe(true);
  });
});
