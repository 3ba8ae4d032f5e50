import type { IntegrationEvent } from '@platform/messaging';
import type { FulfilmentSaga, OrderOutcome, OrderToFulfil } from '../domain/fulfilment/fulfilment-saga';
import type { Order, UnitPrice } from '../domain/order';
import type { FulfilmentView } from './fulfilment/fulfilment.view';
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

/**
 * Where fulfilment sagas are kept. Every method but `due` runs inside the unit of work (or the
 * inbox transaction) in async context, and a saga's new state, its messages and the order's final
 * status are written together.
 */
/** A saga as a step left it: the messages the step sent and, once decided, the order's final status. */
export interface SagaChange {
  saga: FulfilmentSaga;
  messages: readonly IntegrationEvent[];
  outcome: OrderOutcome | null;
}

export abstract class FulfilmentSagaRepository {
  /**
   * Stores new sagas with their first messages, in one statement. An order that has a saga already
   * keeps it, and the messages of its second start are not recorded.
   */
  abstract startAll(started: readonly SagaChange[]): Promise<void>;
  /**
   * The sagas of these orders, locked until the transaction ends, in one statement; an order
   * without a saga is left out. Locks are taken in order id order, so that two transactions
   * locking overlapping sets wait for each other instead of deadlocking.
   */
  abstract lockAll(orderIds: readonly string[]): Promise<FulfilmentSaga[]>;
  /** The order's saga, locked; null when it is not due at `now` or another transaction holds it. */
  abstract lockIfDue(orderId: string, now: Date): Promise<FulfilmentSaga | null>;
  /** Saves the sagas, their messages and the final statuses decided, in one statement. */
  abstract saveAll(changes: readonly SagaChange[]): Promise<void>;
  /**
   * Whether a message of `type` about the order is still in ordering's outbox, not yet accepted by
   * the broker (the in-process broker accepts a message once its consumers have handled it), or
   * was accepted less than a re-send interval ago (its reply may still be on its way).
   */
  abstract awaitsRelay(orderId: string, type: string): Promise<boolean>;
  /** Orders whose saga is due at `now`, the longest overdue first. */
  abstract due(now: Date, limit: number): Promise<string[]>;
  /**
   * PENDING orders placed before `placedBefore` that have no saga and whose OrderPlaced is not
   * waiting in the outbox either (it was lost or dead-lettered), oldest first.
   */
  abstract withoutSaga(placedBefore: Date, limit: number): Promise<OrderToFulfil[]>;
}

/** The query side of fulfilment: an order's saga as the API shows it. */
export abstract class FulfilmentReadModel {
  abstract findView(orderId: string): Promise<FulfilmentView | null>;
}
