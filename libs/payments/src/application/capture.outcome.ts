import { type Capture, CaptureStatus, type FailureReason, isRetryable } from '../domain/capture';

/** What CapturePayment answers: the outcome recorded for the order. */
export type CaptureOutcome =
  | { orderId: string; status: 'CAPTURED'; captureId: string; amountMinor: number; currency: string }
  | { orderId: string; status: 'DECLINED'; captureId: string; reason: string }
  | { orderId: string; status: 'FAILED'; reason: FailureReason; retryable: boolean };

/**
 * The outcome of a capture with one recorded: captured, declined or failed (not pending). A
 * refunded capture was captured: that is its answer to a capture command, and its refund is the
 * answer to a refund command (refund.outcome.ts).
 */
export function outcomeOf(capture: Capture): CaptureOutcome {
  const { orderId, status, captureId, amountMinor, currency, declineReason, failureReason } = capture.snapshot();
  switch (status) {
    case CaptureStatus.Captured:
    case CaptureStatus.Refunded:
      return { orderId, status: CaptureStatus.Captured, captureId: captureId!, amountMinor, currency };
    case CaptureStatus.Declined:
      return { orderId, status, captureId: captureId!, reason: declineReason! };
    case CaptureStatus.Failed:
      return { orderId, status, reason: failureReason!, retryable: isRetryable(failureReason!) };
    case CaptureStatus.Pending:
      throw new Error(`The capture of order ${orderId} has no outcome yet`);
  }
}
