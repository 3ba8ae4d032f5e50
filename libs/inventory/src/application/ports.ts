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
   * deadlock. (A batch of the inbox holds the locks of several orders' units of work until it
   * commits: two batches can deadlock, and PostgreSQL's detection sends their messages one by one,
   * see libs/platform/inbox.) Skus without stock are absent from the map.
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
  /** Adds the reservation, its lines and `events` in inventory's outbox, in one statement. */
  abstract add(reservation: Reservation, events: readonly IntegrationEvent[]): Promise<void>;
  /** Saves the status of a reservation that was found and then changed. */
  abstract saveStatus(reservation: Reservation): Promise<void>;
}
