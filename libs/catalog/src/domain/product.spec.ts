import { BusinessRuleViolation } from '@platform/ddd';
import { Product } from './product';

const sencha = () =>
  Product.create({ sku: 'TEA-SENCHA', name: 'Sencha', description: 'Green tea', priceMinor: 850, currency: 'EUR' });

describe('Product', () => {
  it('is created at version 1 with a trimmed name', () => {
    const product = Product.create({ sku: 'A', name: '  Matcha ', description: '', priceMinor: 1, currency: 'EUR' });
    expect(product.snapshot()).toMatchObject({ name: 'Matcha', version: 1 });
  });

  it('refuses a creation that breaks a rule', () => {
    expect(() => Product.create({ sku: 'A', name: 'x', description: '', priceMinor: 1, currency: 'eur' })).toThrow(
      BusinessRuleViolation,
    );
  });

  it('changes details and moves to the next version', () => {
    const product = sencha();
    expect(product.changeDetails({ priceMinor: 900, description: 'Steamed green tea' })).toBe(true);
    expect(product.snapshot()).toMatchObject({
      name: 'Sencha',
      priceMinor: 900,
      description: 'Steamed green tea',
      version: 2,
    });
  });

  it('keeps its version when a change changes nothing', () => {
    const product = sencha();
    expect(product.changeDetails({ name: 'Sencha', priceMinor: 850 })).toBe(false);
    expect(product.version).toBe(1);
  });

  it('rejects a negative price and stays as it was', () => {
    const product = sencha();
    expect(() => product.changeDetails({ priceMinor: -1 })).toThrow(
      expect.objectContaining({ rule: 'ProductPriceMustBeWithinLimits' }),
    );
    expect(product.snapshot()).toMatchObject({ priceMinor: 850, version: 1 });
  });

  it('rejects a blank name', () => {
    expect(() => sencha().changeDetails({ name: '   ' })).toThrow(
      expect.objectContaining({ rule: 'ProductNameMustNotBeBlank' }),
    );
  });
});
