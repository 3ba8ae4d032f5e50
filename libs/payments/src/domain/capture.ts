import { checkRules } from '@platform/ddd';
import { CaptureAmountMustBePositive } from './rules/capture-amount-must-be-positive.rule';
import { CaptureCurrencyMustBeIso4217Code } from './rules/capture-currency-must-be-iso-4217-code.rule';
import { CaptureCustomerMustBeGiven } from './rules/capture-customer-must-be-given.rule';
import { CaptureMustReferenceAnOrder } from './rules/capture-must-reference-an-order.rule';
import { FINAL_CAPTURE_STATUSES, FinalCaptureCannotChange } from './rules/final-capture-cannot-change.rule';
import { OnlyCapturedPaymentCanBeRefunded } from './rules/only-captured-payment-can-be-refunded.rule';
import { type CaptureTerms, RepeatedCaptureMustMatchFirst } from './rules/repeated-capture-must-match-first.rule';

export type { CaptureTerms } from './rules/repeated-capture-must-match-first.rule';

export const CaptureStatus = {
  /** Requested; the provider has not decided yet (it may not have been asked, or its answer not recorded). */
  Pending: 'PENDING',
  /** The provider captured the amount: the customer is charged. Final. */
  Captured: 'CAPTURED',
  /** The provider answered and refused (see declineReason). Final. */
  Declined: 'DECLINED',
  /** The provider gave no decision (see failureReason). Not final: a later command asks again with the same key. */
  Failed: 'FAILED',
  /**
   * Captured, then refunded in full by the provider (see refundId): the customer is charged nothing, net. Final.
   * A refund that failed leaves the capture CAPTURED, to be asked again.
   */
  Refunded: 'REFUNDED',
} as const;
export type CaptureStatus = (typeof CaptureStatus)[keyof typeof CaptureStatus];

export const FailureReason = {
  /** No answer after the client's retries: down, too slow, overloaded, or its breaker open. Worth retrying. */
  GatewayUnavailable: 'GATEWAY_UNAVAILABLE',
  /** The provider refused the request itself (HTTP 4xx): retrying the same request cannot help. */
  RequestRefused: 'REQUEST_REFUSED',
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

/** Whether a later attempt may succeed where this failure happened. */
export function isRetryable(reason: FailureReason): boolean {
  return reason === FailureReason.GatewayUnavailable;
}

/** Stored in lastError at most. */
export const MAX_ERROR_LENGTH = 2000;

/**
 * The provider's idempotency key of an order's capture: derived from the order alone, so every
 * attempt of every command for the order sends the same key, and the provider charges once.
 */
export function captureIdempotencyKey(orderId: string): string {
  return `order-${orderId}-capture`;
}

/** The provider's idempotency key of the refund of an order's capture: one refund per order, however often asked. */
export function refundIdempotencyKey(orderId: string): string {
  return `order-${orderId}-refund`;
}

export interface CaptureState extends CaptureTerms {
  orderId: string;
  idempotencyKey: string;
  status: CaptureStatus;
  /** The provider's id of its decision: present once CAPTURED or DECLINED. */
  captureId: string | null;
  /** Present when, and only when, DECLINED: the provider's code. */
  declineReason: string | null;
  /** Present when, and only when, FAILED. */
  failureReason: FailureReason | null;
  /** Calls to the provider started for this order (by any command). */
  attempts: number;
  /** The last failure's message, kept after a later success for the record. */
  lastError: string | null;
  /** Counts recorded outcomes, of the capture and of its refund; used for optimistic concurrency. */
  version: number;
  /** The provider's id of the refund: present when, and only when, REFUNDED. */
  refundId: string | null;
  /** Calls to the provider started to refund this capture. */
  refundAttempts: number;
  /** The last refund failure's message, kept after a later refund for the record. */
  refundLastError: string | null;
}

/**
 * The capture of one order's total at the payment provider: one per order, with the idempotency
 * key every call for the order uses. PENDING -> CAPTURED | DECLINED | FAILED; FAILED -> CAPTURED |
 * DECLINED | FAILED (asked again); CAPTURED and DECLINED are the provider's decisions and final.
 * A CAPTURED capture may then be refunded in full: CAPTURED -> REFUNDED, final too.
 */
export class Capture {
  private constructor(private state: CaptureState) {}

  /** A new capture for an order, PENDING, not yet sent to the provider. */
  static request(orderId: string, terms: CaptureTerms): Capture {
    checkRules(
      new CaptureMustReferenceAnOrder(orderId),
      new CaptureCustomerMustBeGiven(terms.customerId),
      new CaptureAmountMustBePositive(terms.amountMinor),
      new CaptureCurrencyMustBeIso4217Code(terms.currency),
    );
    return new Capture({
      orderId,
      idempotencyKey: captureIdempotencyKey(orderId),
      customerId: terms.customerId,
      amountMinor: terms.amountMinor,
      currency: terms.currency,
      status: CaptureStatus.Pending,
      captureId: null,
      declineReason: null,
      failureReason: null,
      attempts: 0,
      lastError: null,
      version: 1,
      refundId: null,
      refundAttempts: 0,
      refundLastError: null,
    });
  }

  static restore(state: CaptureState): Capture {
    return new Capture({ ...state });
  }

  get orderId(): string {
    return this.state.orderId;
  }

  get status(): CaptureStatus {
    return this.state.status;
  }

  get version(): number {
    return this.state.version;
  }

  /** Captured, declined or refunded: the provider decided the capture, which is never asked for again. */
  get isFinal(): boolean {
    return FINAL_CAPTURE_STATUSES.includes(this.state.status);
  }

  get terms(): CaptureTerms {
    const { customerId, amountMinor, currency } = this.state;
    return { customerId, amountMinor, currency };
  }

  /** A repeated command for the order must ask for what the first one asked for. */
  checkRepeat(terms: CaptureTerms): void {
    checkRules(new RepeatedCaptureMustMatchFirst(this.state.orderId, this.terms, terms));
  }

  /** The provider is about to be asked (again). Not for a final capture: its answer is known. */
  startAttempt(): void {
    this.checkNotFinal();
    this.state = { ...this.state, attempts: this.state.attempts + 1 };
  }

  /** The provider captured the amount. */
  recordCaptured(captureId: string): void {
    this.decide({ status: CaptureStatus.Captured, captureId, declineReason: null });
  }

  /** The provider answered and refused. */
  recordDeclined(captureId: string, reason: string): void {
    this.decide({ status: CaptureStatus.Declined, captureId, declineReason: reason });
  }

  /** The provider gave no decision this time. */
  recordFailed(reason: FailureReason, error: string): void {
    this.checkNotFinal();
    this.state = {
      ...this.state,
      status: CaptureStatus.Failed,
      failureReason: reason,
      lastError: error.slice(0, MAX_ERROR_LENGTH),
      version: this.state.version + 1,
    };
  }

  /** The provider is about to be asked (again) to refund this capture. Only a captured payment is refunded. */
  startRefundAttempt(): void {
    this.checkRefundable();
    this.state = { ...this.state, refundAttempts: this.state.refundAttempts + 1 };
  }

  /** The provider refunded the captured amount in full. */
  recordRefunded(refundId: string): void {
    this.checkRefundable();
    this.state = { ...this.state, status: CaptureStatus.Refunded, refundId, version: this.state.version + 1 };
  }

  /** The provider did not refund this time; the capture stays CAPTURED, to be refunded by a later command. */
  recordRefundFailed(error: string): void {
    this.checkRefundable();
    this.state = {
      ...this.state,
      refundLastError: error.slice(0, MAX_ERROR_LENGTH),
      version: this.state.version + 1,
    };
  }

  snapshot(): Readonly<CaptureState> {
    return { ...this.state };
  }

  private decide(
    decision: Pick<CaptureState, 'captureId' | 'declineReason'> & {
      status: typeof CaptureStatus.Captured | typeof CaptureStatus.Declined;
    },
  ): void {
    this.checkNotFinal();
    this.state = { ...this.state, ...decision, failureReason: null, version: this.state.version + 1 };
  }

  private checkNotFinal(): void {
    checkRules(new FinalCaptureCannotChange(this.state.orderId, this.state.status));
  }

  private checkRefundable(): void {
    checkRules(new OnlyCapturedPaymentCanBeRefunded(this.state.orderId, this.state.status));
  }
}
