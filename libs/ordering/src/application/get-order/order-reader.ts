import type { OrderView } from '../order.view';

/** Who asks for an order: a customer, or an operator (the admin role). */
export type OrderReader = { customerId: string } | { operator: true };

/**
 * Rule OrdersAreVisibleToTheirCustomer: a customer reads only their own orders; operators read
 * every order. Another customer's order is answered exactly like an order that does not exist,
 * so that order ids cannot be probed.
 */
export const orderIsVisibleTo = (order: OrderView, reader: OrderReader): boolean =>
  'operator' in reader || order.customerId === reader.customerId;
