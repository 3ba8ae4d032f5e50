import { checkRules } from '@platform/ddd';
import { ReservedQuantityMustBeWithinLimits } from './rules/reserved-quantity-must-be-within-limits.rule';
import { StockCannotGoBelowZero } from './rules/stock-cannot-go-below-zero.rule';

export interface StockState {
  sku: string;
  /** What can still be reserved. */
  available: number;
  /** What is held for orders, until their reservation is released (or, later, shipped). */
  reserved: number;
}

/**
 * The stock of one sku. A reservation moves units from `available` to `reserved`, a release moves
 * them back; `available + reserved` stays what it was. Neither side ever goes below zero.
 */
export class Stock {
  private constructor(private state: StockState) {}

  static restore(state: StockState): Stock {
    checkRules(new StockCannotGoBelowZero(state.sku, state.available, state.reserved));
    return new Stock({ ...state });
  }

  get sku(): string {
    return this.state.sku;
  }

  /** Whether `quantity` units could be reserved now. */
  canReserve(quantity: number): boolean {
    return quantity <= this.state.available;
  }

  reserve(quantity: number): void {
    this.move(quantity, -quantity, quantity);
  }

  release(quantity: number): void {
    this.move(quantity, quantity, -quantity);
  }

  snapshot(): Readonly<StockState> {
    return { ...this.state };
  }

  private move(quantity: number, availableDelta: number, reservedDelta: number): void {
    const next = {
      ...this.state,
      available: this.state.available + availableDelta,
      reserved: this.state.reserved + reservedDelta,
    };
    checkRules(
      new ReservedQuantityMustBeWithinLimits(this.state.sku, quantity),
      new StockCannotGoBelowZero(this.state.sku, next.available, next.reserved),
    );
    this.state = next;
  }
}
