import type { FulfilmentHistoryEntry } from '../../domain/fulfilment/fulfilment-saga';

/** An order's fulfilment saga as `GET /orders/:id/fulfilment` shows it: where it is, how it got there. */
export interface FulfilmentView {
  orderId: string;
  step: string;
  cancellationReason?: string;
  /** The deadline of the step it waits in (reservation or payment), if any. */
  deadlineAt?: string;
  /** A capture that succeeded after the cancellation, and what became of its refund. */
  lateCapture?: { captureId: string; refundStatus: string };
  startedAt: string;
  updatedAt: string;
  history: FulfilmentHistoryEntry[];
}
