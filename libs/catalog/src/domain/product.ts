import { checkRules } from '@platform/ddd';
import { CurrencyMustBeIso4217Code } from './rules/currency-must-be-iso-4217-code.rule';
import { ProductNameMustNotBeBlank } from './rules/product-name-must-not-be-blank.rule';
import { ProductPriceMustBeWithinLimits } from './rules/product-price-must-be-within-limits.rule';

export interface ProductState {
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
  /** Incremented on every change; used for optimistic concurrency. */
  version: number;
}

export interface ProductDetailsChange {
  name?: string;
  description?: string;
  priceMinor?: number;
}

/** A product of the catalog. Its price is in minor units of its currency (cents for EUR). */
export class Product {
  private constructor(private state: ProductState) {}

  static create(details: Omit<ProductState, 'version'>): Product {
    checkRules(
      new ProductNameMustNotBeBlank(details.name),
      new ProductPriceMustBeWithinLimits(details.priceMinor),
      new CurrencyMustBeIso4217Code(details.currency),
    );
    return new Product({ ...details, name: details.name.trim(), version: 1 });
  }

  static restore(state: ProductState): Product {
    return new Product({ ...state });
  }

  get sku(): string {
    return this.state.sku;
  }

  get version(): number {
    return this.state.version;
  }

  /** Applies an operator's change. Returns false when nothing actually changed. */
  changeDetails(change: ProductDetailsChange): boolean {
    const next = {
      name: change.name?.trim() ?? this.state.name,
      description: change.description ?? this.state.description,
      priceMinor: change.priceMinor ?? this.state.priceMinor,
    };
    checkRules(new ProductNameMustNotBeBlank(next.name), new ProductPriceMustBeWithinLimits(next.priceMinor));
    const changed =
      next.name !== this.state.name ||
      next.description !== this.state.description ||
      next.priceMinor !== this.state.priceMinor;
    if (changed) {
      this.state = { ...this.state, ...next, version: this.state.version + 1 };
    }
    return changed;
  }

  snapshot(): Readonly<ProductState> {
    return { ...this.state };
  }
}
