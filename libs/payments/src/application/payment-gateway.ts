/** A capture of an order's total at the payment provider, keyed so that a retry never charges twice. */
export interface CaptureRequest {
  /** Derived from the order: the same order always sends the same key. */
  idempotencyKey: string;
  /** The order id. */
  reference: string;
  customerId: string;
  amountMinor: number;
  currency: string;
}

/** A decline and a capture are both answers; an unavailable provider is an error (PaymentGatewayUnavailable). */
export type CaptureResult =
  { status: 'CAPTURED'; captureId: string } | { status: 'DECLINED'; captureId: string; declineReason: string };

/** A refund of a whole capture, keyed so that a retry never refunds twice. */
export interface RefundRequest {
  /** Derived from the order: the same order always sends the same key. */
  idempotencyKey: string;
  /** The provider's id of the capture to refund in full. */
  captureId: string;
}

/** The provider refunded the capture. Anything else (an unknown or declined capture) is PaymentRequestRefused. */
export interface RefundResult {
  refundId: string;
}

/** The provider could not give an answer: down, too slow, overloaded, or its breaker is open. */
export class PaymentGatewayUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaymentGatewayUnavailable';
  }
}

/**
 * The provider refused the request itself (HTTP 4xx other than 429): retrying cannot help, and it
 * says nothing about the provider's health. A bug on our side, or a contract change on theirs.
 */
export class PaymentRequestRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentRequestRefused';
  }
}

/** The payments module's port to the external provider. */
export abstract class PaymentGateway {
  abstract capture(request: CaptureRequest): Promise<CaptureResult>;
  abstract refund(request: RefundRequest): Promise<RefundResult>;
}
