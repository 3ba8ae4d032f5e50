import { createEvent, currentTraceparent, type IntegrationEvent } from '@platform/messaging';
import { INVENTORY_EVENT_SOURCE } from '../contracts/inventory-event-source';
import { StockReleasedV1 } from '../contracts/stock-released.v1';
import { StockReservationRejectedV1 } from '../contracts/stock-reservation-rejected.v1';
import { StockReservedV1 } from '../contracts/stock-reserved.v1';
import type { Reservation } from '../domain/reservation';
import { outcomeOf } from './reservation.outcome';

/**
 * The event that announces a reservation's new state: reserved, rejected or released. Subject: the
 * order id, so one order's events keep their order on the broker.
 */
export function reservationEvent(reservation: Reservation): IntegrationEvent {
  const outcome = outcomeOf(reservation);
  const options = { source: INVENTORY_EVENT_SOURCE, traceparent: currentTraceparent() };
  switch (outcome.status) {
    case 'RESERVED':
      return createEvent(StockReservedV1, outcome.orderId, { orderId: outcome.orderId, lines: outcome.lines }, options);
    case 'REJECTED':
      return createEvent(
        StockReservationRejectedV1,
        outcome.orderId,
        { orderId: outcome.orderId, reason: outcome.reason, skus: outcome.skus },
        options,
      );
    case 'RELEASED':
      return createEvent(StockReleasedV1, outcome.orderId, { orderId: outcome.orderId }, options);
  }
}
