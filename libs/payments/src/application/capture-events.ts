import { createEvent, currentTraceparent, type IntegrationEvent } from '@platform/messaging';
import { PaymentCapturedV1 } from '../contracts/payment-captured.v1';
import { PaymentDeclinedV1 } from '../contracts/payment-declined.v1';
import { PaymentFailedV1 } from '../contracts/payment-failed.v1';
import { PAYMENTS_EVENT_SOURCE } from '../contracts/payments-event-source';
import type { Capture } from '../domain/capture';
import { outcomeOf } from './capture.outcome';

/**
 * The event that announces a capture's recorded outcome: captured, declined or failed. Subject:
 * the order id, so one order's events keep their order on the broker.
 */
export function captureEvent(capture: Capture): IntegrationEvent {
  const outcome = outcomeOf(capture);
  const { orderId } = outcome;
  const options = { source: PAYMENTS_EVENT_SOURCE, traceparent: currentTraceparent() };
  switch (outcome.status) {
    case 'CAPTURED': {
      const { captureId, amountMinor, currency } = outcome;
      return createEvent(PaymentCapturedV1, orderId, { orderId, captureId, amountMinor, currency }, options);
    }
    case 'DECLINED':
      return createEvent(PaymentDeclinedV1, orderId, { orderId, reason: outcome.reason }, options);
    case 'FAILED':
      return createEvent(
        PaymentFailedV1,
        orderId,
        { orderId, reason: outcome.reason, retryable: outcome.retryable },
        options,
      );
  }
}
