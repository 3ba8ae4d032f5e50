import type { Order } from '../domain/order';

/** An order as the API shows it. Money in integer minor units of `currency`. */
export interface OrderView {
  id: string;
  customerId: string;
  status: string;
  items: { sku: string; quantity: number; unitPriceMinor: number }[];
  totalMinor: number;
  currency: string;
  createdAt: string;
  cancellationReason?: string;
}

export function toOrderView(order: Order): OrderView {
  const state = order.snapshot();
  return {
    id: state.id,
    customerId: state.customerId,
    status: state.status,
    items: state.lines.map(({ sku, quantity, unitPriceMinor }) => ({ sku, quantity, unitPriceMinor })),
    totalMinor: state.totalMinor,
    currency: state.currency,
    createdAt: state.placedAt.toISOString(),
    ...(state.cancellationReason === null ? {} : { cancellationReason: state.cancellationReason }),
  };
}
