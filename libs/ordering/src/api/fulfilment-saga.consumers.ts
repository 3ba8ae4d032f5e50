import { Inject, Injectable, type Type } from '@nestjs/common';
import { StockReleasedV1, StockReservationRejectedV1, StockReservedV1 } from '@modulith/inventory';
import {
  PaymentCapturedV1,
  PaymentDeclinedV1,
  PaymentFailedV1,
  PaymentRefundedV1,
  RefundFailedV1,
} from '@modulith/payments';
import type { InboxDelivery, InboxHandler } from '@platform/inbox';
import type { EventContract, EventData, IntegrationEvent } from '@platform/messaging';
import type { z } from 'zod';
import { FulfilmentProcess, type SagaReply } from '../application/fulfilment/fulfilment-process';
import { OrderPlacedV1 } from '../contracts/order-placed.v1';
import type { FulfilmentReaction, FulfilmentSaga } from '../domain/fulfilment/fulfilment-saga';

/**
 * The fulfilment saga's inputs: ordering's own `OrderPlaced`, which starts it, and every reply of
 * inventory and payments. Each arrives through ordering's inbox, so the inbox record, the saga's
 * new state, its next commands (in ordering's outbox) and the order's status commit together: a
 * redelivered reply is a no-op, and a crash anywhere loses nothing.
 *
 * Consumer names key the inbox rows and are the consumer groups: never rename them.
 */
@Injectable()
export class StartFulfilmentOnOrderPlaced implements InboxHandler<typeof OrderPlacedV1> {
  readonly consumer = { name: 'ordering.fulfilment.order-placed', contract: OrderPlacedV1 };

  constructor(@Inject(FulfilmentProcess) private readonly process: FulfilmentProcess) {}

  async handle(event: IntegrationEvent<EventData<typeof OrderPlacedV1>>): Promise<void> {
    await this.process.startAll([{ order: orderToFulfil(event.data) }]);
  }

  /** A batch of placed orders: their sagas stored and their first commands recorded in one statement. */
  async handleBatch(deliveries: readonly InboxDelivery<EventData<typeof OrderPlacedV1>>[]): Promise<void> {
    await this.process.startAll(deliveries.map(({ event, within }) => ({ order: orderToFulfil(event.data), within })));
  }
}

function orderToFulfil({ orderId, customerId, lines, totalMinor, currency }: EventData<typeof OrderPlacedV1>) {
  return { orderId, customerId, lines: lines.map(({ sku, quantity }) => ({ sku, quantity })), totalMinor, currency };
}

/** A consumer that hands one reply type, about one order, to that order's saga. */
function sagaReply<Contract extends EventContract<z.ZodType<{ orderId: string }>>>(
  name: string,
  contract: Contract,
  input: (saga: FulfilmentSaga, data: EventData<Contract>, now: Date) => FulfilmentReaction,
): Type<InboxHandler<Contract>> {
  const reply = (data: EventData<Contract>): SagaReply => ({
    orderId: data.orderId,
    input: (saga, now) => input(saga, data, now),
  });

  @Injectable()
  class SagaReplyConsumer implements InboxHandler<Contract> {
    readonly consumer = { name, contract };

    constructor(@Inject(FulfilmentProcess) readonly process: FulfilmentProcess) {}

    async handle(event: IntegrationEvent<EventData<Contract>>): Promise<void> {
      await this.process.reactAll([reply(event.data)]);
    }

    /** A batch of replies: their sagas locked in one statement and saved in another. */
    async handleBatch(deliveries: readonly InboxDelivery<EventData<Contract>>[]): Promise<void> {
      await this.process.reactAll(deliveries.map(({ event, within }) => ({ ...reply(event.data), within })));
    }
  }
  Object.defineProperty(SagaReplyConsumer, 'name', { value: `Fulfilment(${name})` });
  return SagaReplyConsumer;
}

export const fulfilmentReplyConsumers = [
  sagaReply('ordering.fulfilment.stock-reserved', StockReservedV1, (saga, _, now) => saga.stockReserved(now)),
  sagaReply('ordering.fulfilment.stock-reservation-rejected', StockReservationRejectedV1, (saga, data, now) =>
    saga.stockReservationRejected(data.reason, data.skus, now),
  ),
  sagaReply('ordering.fulfilment.stock-released', StockReleasedV1, (saga, _, now) => saga.stockReleased(now)),
  sagaReply('ordering.fulfilment.payment-captured', PaymentCapturedV1, (saga, data, now) =>
    saga.paymentCaptured(data.captureId, now),
  ),
  sagaReply('ordering.fulfilment.payment-declined', PaymentDeclinedV1, (saga, data, now) =>
    saga.paymentDeclined(data.reason, now),
  ),
  sagaReply('ordering.fulfilment.payment-failed', PaymentFailedV1, (saga, data, now) =>
    saga.paymentFailed(data.reason, data.retryable, now),
  ),
  sagaReply('ordering.fulfilment.payment-refunded', PaymentRefundedV1, (saga, _, now) => saga.paymentRefunded(now)),
  sagaReply('ordering.fulfilment.refund-failed', RefundFailedV1, (saga, data, now) =>
    saga.refundFailed(data.reason, data.retryable, now),
  ),
];
