import type { IntegrationEvent } from '@platform/messaging';
import type { Order, UnitPrice } from '../domain/order';
import type { OrderView } from './order.view';

/** A client's Idempotency-Key with the fingerprint of the request it was first used for. */
export interface IdempotencyClaim {
  key: string;
  requestFingerprint: string;
}

export type AddOutcome =
  | { added: true }
  /** The key was used before: for the order `orderId`, by a request with `requestFingerprint`. */
  | { added: false; orderId: string; requestFingerprint: string };

/**
 * Where orders are stored. `add` stores the order, claims the key and records the events in the
 * outbox atomically: all of it or, when the key was used before, none of it.
 */
export abstract class OrderRepository {
  abstract add(order: Order, claim: IdempotencyClaim | null, events: readonly IntegrationEvent[]): Promise<AddOutcome>;
  abstract findClaim(key: string): Promise<{ orderId: string; requestFingerprint: string } | null>;
}

/** The query side: orders as the API shows them. */
export abstract class OrderReadModel {
  abstract findView(id: string): Promise<OrderView | null>;
}

/** What ordering needs from the catalog: current prices of some skus. */
export abstract class ProductPricing {
  abstract pricesOf(skus: readonly string[]): Promise<ReadonlyMap<string, UnitPrice>>;
}
