import type { BusinessRule } from '@platform/ddd';

export const MAX_PRODUCT_NAME_LENGTH = 200;

export class ProductNameMustNotBeBlank implements BusinessRule {
  readonly name = 'ProductNameMustNotBeBlank';
  readonly message = `A product's name must have between 1 and ${MAX_PRODUCT_NAME_LENGTH} characters besides spaces.`;

  constructor(private readonly productName: string) {}

  isBroken(): boolean {
    const trimmed = this.productName.trim();
    return trimmed.length === 0 || trimmed.length > MAX_PRODUCT_NAME_LENGTH;
  }
}
