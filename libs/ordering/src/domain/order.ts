import { checkRules } from '@platform/ddd';
import { OrderLinesMustHaveDistinctSkus } from './rules/order-lines-must-have-distinct-skus.rule';
import { OrderMustBeInOneCurrency } from './rules/order-must-be-in-one-currency.rule';
import { OrderMustHaveAtLeastOneLine } from './rules/order-must-have-at-least-one-line.rule';
import { OrderMustNotExceedMaxLines } from './rules/order-must-not-exceed-max-lines.rule';
import { OrderedProductMustExist } from './rules/ordered-product-must-exist.rule';
import { QuantityMustBeWithinLimits } from './rules/quantity-must-be-within-limits.rule';

export const OrderStatus = {
  Pending: 'PENDING',
  Confirmed: 'CONFIRMED',
  Cancelled: 'CANCELLED',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export interface RequestedLine {
  sku: string;
  quantity: number;
}

export interface UnitPrice {
  priceMinor: number;
  currency: string;
}

export interface OrderLine {
  lineNo: number;
  sku: string;
  quantity: number;
  unitPriceMinor: number;
}

export interface OrderState {
  id: string;
  customerId: string;
  status: OrderStatus;
  lines: readonly OrderLine[];
  currency: string;
  totalMinor: number;
  placedAt: Date;
  cancellationReason: string | null;
}

export interface PlaceOrder {
  id: string;
  customerId: string;
  lines: readonly RequestedLine[];
  /** Current catalog prices of the requested skus; a missing sku is not in the catalog. */
  prices: ReadonlyMap<string, UnitPrice>;
  placedAt: Date;
}

/**
 * The Order aggregate. An order is placed PENDING with the catalog's prices at that moment; its
 * total is the sum of its lines in minor units of its single currency.
 */
export class Order {
  private constructor(private readonly state: OrderState) {}

  static place({ id, customerId, lines, prices, placedAt }: PlaceOrder): Order {
    checkRules(
      new OrderMustHaveAtLeastOneLine(lines.length),
      new OrderMustNotExceedMaxLines(lines.length),
      new OrderLinesMustHaveDistinctSkus(lines.map((line) => line.sku)),
      ...lines.map((line) => new QuantityMustBeWithinLimits(line.sku, line.quantity)),
      ...lines.map((line) => new OrderedProductMustExist(line.sku, prices.get(line.sku))),
    );
    const priced = lines.map((line, index) => {
      const price = prices.get(line.sku)!;
      return {
        line: { lineNo: index + 1, sku: line.sku, quantity: line.quantity, unitPriceMinor: price.priceMinor },
        currency: price.currency,
      };
    });
    checkRules(new OrderMustBeInOneCurrency(priced.map((entry) => entry.currency)));
    const orderLines = priced.map((entry) => entry.line);
    return new Order({
      id,
      customerId,
      status: OrderStatus.Pending,
      lines: orderLines,
      currency: priced[0]!.currency,
      totalMinor: orderLines.reduce((total, line) => total + line.quantity * line.unitPriceMinor, 0),
      placedAt,
      cancellationReason: null,
    });
  }

  get id(): string {
    return this.state.id;
  }

  snapshot(): Readonly<OrderState> {
    return this.state;
  }
}
