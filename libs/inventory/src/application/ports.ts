import type { IntegrationEvent } from '@platform/messaging';
import type { Reservation } from '../domain/reservation';
import type { Stock } from '../domain/stock';
import type { StockView } from './stock.view';

/** Inventory's stock levels. Writes happen inside the unit of work (see transactions.ts). */
export abstract class StockRepository {
  abstract findView(sku: string): Promise<StockView | null>;
  /**
   * Loads the stock of these skus and locks it until the unit of work ends, one sku after the other
   * in sku order: units of work that lock several skus all take them in the same order and so never
   * deadlock. A batch of reservations locks the skus of all its orders in one call, so two batches
   * never deadlock either. Skus without stock are absent from the map.
   */
  abstract lockForUpdate(skus: readonly string[]): Promise<Map<string, Stock>>;
  abstract save(stock: readonly Stock[]): Promise<void>;
}

/** The reservation of each order. */
export abstract class ReservationRepository {
  /**
   * Takes the orders' locks until the unit of work ends, before anything else, in order id order
   * (one statement): the commands of one order (a reserve and its repeat, a reserve and a release)
   * run one after the other, so each finds the other's decision. Commands of different orders do
   * not wait for each other here.
   */
  abstract lockOrders(orderIds: readonly string[]): Promise<void>;
  /** The reservations these orders have, by order id, in one statement. */
  abstract findAll(orderIds: readonly string[]): Promise<Map<string, Reservation>>;
  /** Adds the reservations, their lines and `events` in inventory's outbox, in one statement. */
  abstract addAll(reservations: readonly Reservation[], events: readonly IntegrationEvent[]): Promise<void>;
  /** Saves the status of a reservation that was found and then changed. */
  abstract saveStatus(reservation: Reservation): Promise<void>;
}
