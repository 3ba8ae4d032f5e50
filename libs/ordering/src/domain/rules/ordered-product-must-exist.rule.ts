import type { BusinessRule } from '@platform/ddd';

export class OrderedProductMustExist implements BusinessRule {
  readonly name = 'OrderedProductMustExist';
  readonly message: string;

  constructor(
    sku: string,
    private readonly price: unknown,
  ) {
    this.message = `There is no product with sku '${sku}' in the catalog.`;
  }

  isBroken(): boolean {
    return this.price === undefined;
  }
}
