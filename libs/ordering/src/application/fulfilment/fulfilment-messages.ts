import { ReleaseStockV1, ReserveStockV1 } from '@modulith/inventory';
import { CapturePaymentV1, RefundPaymentV1 } from '@modulith/payments';
import { createEvent, currentTraceparent, type IntegrationEvent } from '@platform/messaging';
import { OrderCancelledV1 } from '../../contracts/order-cancelled.v1';
import { OrderConfirmedV1 } from '../../contracts/order-confirmed.v1';
import { ORDERING_EVENT_SOURCE } from '../../contracts/order-placed.v1';
import type { FulfilmentCommand, OrderOutcome } from '../../domain/fulfilment/fulfilment-saga';

const options = (time: Date) => ({ source: ORDERING_EVENT_SOURCE, time, traceparent: currentTraceparent() });

const COMMAND_TYPES: Record<FulfilmentCommand['kind'], string> = {
  ReserveStock: ReserveStockV1.type,
  CapturePayment: CapturePaymentV1.type,
  ReleaseStock: ReleaseStockV1.type,
  RefundPayment: RefundPaymentV1.type,
};

/** The message type a command of the saga travels as. */
export const commandType = (kind: FulfilmentCommand['kind']): string => COMMAND_TYPES[kind];

/**
 * A saga's command as the receiving module's contract (each one a new message: a re-sent command
 * has a new id, so the receiver's inbox applies it, and the receiver's own idempotency answers it).
 */
export function commandMessage(command: FulfilmentCommand, now: Date): IntegrationEvent {
  const { orderId } = command;
  switch (command.kind) {
    case 'ReserveStock':
      return createEvent(ReserveStockV1, orderId, { orderId, lines: [...command.lines] }, options(now));
    case 'CapturePayment': {
      const { customerId, amountMinor, currency } = command;
      return createEvent(CapturePaymentV1, orderId, { orderId, customerId, amountMinor, currency }, options(now));
    }
    case 'ReleaseStock':
      return createEvent(ReleaseStockV1, orderId, { orderId }, options(now));
    case 'RefundPayment':
      return createEvent(RefundPaymentV1, orderId, { orderId }, options(now));
  }
}

/** The event that tells other modules the order's final status. */
export function outcomeMessage(orderId: string, outcome: OrderOutcome, now: Date): IntegrationEvent {
  return outcome.status === 'CONFIRMED'
    ? createEvent(OrderConfirmedV1, orderId, { orderId, confirmedAt: now.toISOString() }, options(now))
    : createEvent(
        OrderCancelledV1,
        orderId,
        { orderId, reason: outcome.reason, cancelledAt: now.toISOString() },
        options(now),
      );
}
