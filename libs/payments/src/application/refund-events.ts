import { createEvent, currentTraceparent, type IntegrationEvent } from '@platform/messaging';
import { PaymentRefundedV1 } from '../contracts/payment-refunded.v1';
import { PAYMENTS_EVENT_SOURCE } from '../contracts/payments-event-source';
import { RefundFailedV1 } from '../contracts/refund-failed.v1';
import type { RefundOutcome } from './refund.outcome';

/** The event that announces a refund's outcome. Subject: the order id, as for its capture's events. */
export function refundEvent(outcome: RefundOutcome): IntegrationEvent {
  const { orderId } = outcome;
  const options = { source: PAYMENTS_EVENT_SOURCE, traceparent: currentTraceparent() };
  switch (outcome.status) {
    case 'REFUNDED': {
      const { refundId, amountMinor, currency } = outcome;
      return createEvent(PaymentRefundedV1, orderId, { orderId, refundId, amountMinor, currency }, options);
    }
    case 'FAILED':
      return createEvent(
        RefundFailedV1,
        orderId,
        { orderId, reason: outcome.reason, retryable: outcome.retryable },
        options,
      );
  }
}
