import { type Capture, CaptureStatus, type FailureReason, isRetryable } from '../domain/capture';

/** What RefundPayment answers: the order's capture refunded, or why not this time. */
export type RefundOutcome =
  | { orderId: string; status: 'REFUNDED'; refundId: string; amountMinor: number; currency: string }
  | { orderId: string; status: 'FAILED'; reason: FailureReason; retryable: boolean };

/** The outcome of a refunded capture: the whole captured amount given back. */
export function refundedOutcome(capture: Capture): RefundOutcome {
  const { orderId, status, refundId, amountMinor, currency } = capture.snapshot();
  if (status !== CaptureStatus.Refunded) {
    throw new Error(`The capture of order ${orderId} is ${status}, not refunded`);
  }
  return { orderId, status, refundId: refundId!, amountMinor, currency };
}

export function refundFailedOutcome(orderId: string, reason: FailureReason): RefundOutcome {
  return { orderId, status: 'FAILED', reason, retryable: isRetryable(reason) };
}
