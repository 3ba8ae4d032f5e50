import type { Reservation } from '../domain/reservation';
import type { Stock } from '../domain/stock';
import type { StockView } from './stock.view';

/** Inventory's stock levels. Writes happen inside the unit of work (see transactions.ts). */
export abstract class StockRepository {
  abstract findView(sku: string): Promise<StockView | null>;
  /**
   * Loads the stock of these skus and locks it until the unit of work ends, one sku after the other
   * in sku order: transactions that lock several skus all take them in the same order and so never
   * deadlock. Skus without stock are absent from the map.
   */
  abstract lockForUpdate(skus: readonly string[]): Promise<Map<string, Stock>>;
  abstract save(stock: readonly Stock[]): Promise<void>;
}

/** The reservation of each order. */
export abstract class ReservationRepository {
  /**
   * Takes the order's lock until the unit of work ends, before anything else: the commands of one
   * order (a reserve and its repeat, a reserve and a release) run one after the other, so each finds
   * the other's decision. Commands of different orders do not wait for each other here.
   */
  abstract lockOrder(orderId: string): Promise<void>;
  abstract find(orderId: string): Promise<Reservation | null>;
  abstract add(reservation: Reservation): Promise<void>;
  /** Saves the status of a reservation that was found and then changed. */
  abstract saveStatus(reservation: Reservation): Promise<void>;
}
