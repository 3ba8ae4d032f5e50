import { createEvent, currentTraceparent, type IntegrationEvent } from '@platform/messaging';
import { INVENTORY_EVENT_SOURCE } from '../contracts/inventory-event-source';
import { StockReleasedV1 } from '../contracts/stock-released.v1';
import { StockReservationRejectedV1 } from '../contracts/stock-reservation-rejected.v1';
import { StockReservedV1 } from '../contracts/stock-reserved.v1';
import type { Reservation } from '../domain/reservation';
import { outcomeOf } from './reservation.outcome';

const eventOptions = () => ({ source: INVENTORY_EVENT_SOURCE, traceparent: currentTraceparent() });

/**
 * The event that announces a reservation's state: reserved, rejected or released. Subject: the
 * order id, so one order's events keep their order on the broker. Built anew for each command
 * (a new event id), so the answer to a repeated command is a new message with the same payload.
 */
export function reservationEvent(reservation: Reservation): IntegrationEvent {
  const outcome = outcomeOf(reservation);
  switch (outcome.status) {
    case 'RESERVED':
      return createEvent(
        StockReservedV1,
        outcome.orderId,
        { orderId: outcome.orderId, lines: outcome.lines },
        eventOptions(),
      );
    case 'REJECTED':
      return createEvent(
        StockReservationRejectedV1,
        outcome.orderId,
        { orderId: outcome.orderId, reason: outcome.reason, skus: outcome.skus },
        eventOptions(),
      );
    case 'RELEASED':
      return stockReleasedEvent(outcome.orderId);
  }
}

/** `inventory.stock-released.v1`: the order holds nothing, and no later reserve will hold anything. */
export function stockReleasedEvent(orderId: string): IntegrationEvent {
  return createEvent(StockReleasedV1, orderId, { orderId }, eventOptions());
}
