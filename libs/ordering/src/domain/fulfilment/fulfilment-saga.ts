/**
 * The fulfilment saga of one order, as a state machine in plain TypeScript: it decides, the
 * application layer carries its decisions out (commands through ordering's outbox, the order's
 * final status, the saga's new state, all in one transaction). Every input is either a reply from
 * inventory or payments, or the timer (`wake`) at the time the saga asked to be woken.
 *
 *   AWAITING_STOCK --reserved--> AWAITING_PAYMENT --captured--> CONFIRMED
 *        |  rejected: CANCELLED (OUT_OF_STOCK)      | declined, refused, deadline
 *        |  deadline                                 v
 *        +-----------------------------------> RELEASING_STOCK --released--> CANCELLED
 *                                                                     (or REFUNDING, then CANCELLED,
 *                                                                      when a capture came too late)
 *
 * Replies can be lost (a process holding the in-process broker dies) or repeated (at-least-once
 * delivery, answers to re-sent commands): the saga re-sends the command of the step it waits in
 * when no reply came within a backoff, and ignores every reply its step does not expect. It does
 * not re-send a command whose last copy has not been delivered yet: under load that copy is only
 * late, and another would queue behind it.
 */
import { type CancellationReason, CancellationReasons } from './cancellation-reason';

export const FulfilmentStep = {
  /** ReserveStock sent; waiting for inventory's decision. */
  AwaitingStock: 'AWAITING_STOCK',
  /** Stock held; CapturePayment sent; waiting for payments' decision until the payment deadline. */
  AwaitingPayment: 'AWAITING_PAYMENT',
  /** Compensating: ReleaseStock sent; the order is cancelled once inventory confirms. */
  ReleasingStock: 'RELEASING_STOCK',
  /** The order is cancelled, but a capture succeeded after the cancellation: RefundPayment sent. */
  Refunding: 'REFUNDING',
  Confirmed: 'CONFIRMED',
  Cancelled: 'CANCELLED',
} as const;
export type FulfilmentStep = (typeof FulfilmentStep)[keyof typeof FulfilmentStep];

/** What became of a capture that succeeded after the order was cancelled. */
export const RefundStatus = {
  /** RefundPayment sent, no answer yet. */
  Requested: 'REQUESTED',
  Refunded: 'REFUNDED',
  /** The provider refused the refund itself: left for reconciliation by a person. */
  Failed: 'FAILED',
} as const;
export type RefundStatus = (typeof RefundStatus)[keyof typeof RefundStatus];

export interface FulfilmentTimeouts {
  /** From the saga's start: no reservation decision by then cancels the order (RESERVATION_TIMEOUT). */
  reservationTimeoutMs: number;
  /** From the stock's reservation: no capture by then cancels the order (PAYMENT_TIMEOUT). */
  paymentTimeoutMs: number;
  /** No reply within this re-sends the step's command; doubled after each re-send. */
  resendAfterMs: number;
  /** The longest wait between two re-sends. */
  maxResendAfterMs: number;
}

export interface OrderToFulfil {
  orderId: string;
  customerId: string;
  lines: ReadonlyArray<{ sku: string; quantity: number }>;
  totalMinor: number;
  currency: string;
}

/** What the saga asks another module to do; the application layer turns it into that module's command. */
export type FulfilmentCommand =
  | { kind: 'ReserveStock'; orderId: string; lines: ReadonlyArray<{ sku: string; quantity: number }> }
  | { kind: 'CapturePayment'; orderId: string; customerId: string; amountMinor: number; currency: string }
  | { kind: 'ReleaseStock'; orderId: string }
  | { kind: 'RefundPayment'; orderId: string };

/** The order's final status, decided by the saga. */
export type OrderOutcome = { status: 'CONFIRMED' } | { status: 'CANCELLED'; reason: CancellationReason };

export interface FulfilmentHistoryEntry {
  at: string;
  /** What happened: a reply's name, `Started`, or `Timer`. */
  input: string;
  /** The step after it. */
  step: FulfilmentStep;
  /** The command sent, if any. */
  sent?: FulfilmentCommand['kind'];
  note?: string;
}

/** The saga's record of its path, for people: bounded, the newest entries kept. */
export const MAX_HISTORY_ENTRIES = 50;

export interface FulfilmentState {
  order: OrderToFulfil;
  step: FulfilmentStep;
  cancellationReason: CancellationReason | null;
  /** The current step's deadline (reservation or payment), or null when the step has none. */
  deadlineAt: Date | null;
  /** When the timer must look at the saga: the next re-send, or the deadline; null once final. */
  wakeAt: Date | null;
  /** Commands sent for the current step (the first one included). */
  attempts: number;
  /** The provider's id of a capture that succeeded after the cancellation. */
  lateCaptureId: string | null;
  refundStatus: RefundStatus | null;
  history: FulfilmentHistoryEntry[];
}

/** What one input changed: commands to send and, once, the order's outcome. Nothing when ignored. */
export interface FulfilmentReaction {
  changed: boolean;
  commands: FulfilmentCommand[];
  orderOutcome: OrderOutcome | null;
}

export class FulfilmentSaga {
  private commands: FulfilmentCommand[] = [];
  private orderOutcome: OrderOutcome | null = null;

  private constructor(
    private state: FulfilmentState,
    private readonly timeouts: FulfilmentTimeouts,
  ) {}

  /** A placed order's saga: reserve its stock. */
  static start(
    order: OrderToFulfil,
    timeouts: FulfilmentTimeouts,
    now: Date,
  ): { saga: FulfilmentSaga; reaction: FulfilmentReaction } {
    const saga = new FulfilmentSaga(
      {
        order: { ...order, lines: order.lines.map(({ sku, quantity }) => ({ sku, quantity })) },
        step: FulfilmentStep.AwaitingStock,
        cancellationReason: null,
        deadlineAt: new Date(now.getTime() + timeouts.reservationTimeoutMs),
        wakeAt: null,
        attempts: 0,
        lateCaptureId: null,
        refundStatus: null,
        history: [],
      },
      timeouts,
    );
    saga.sendStepCommand(now);
    saga.record(now, 'Started');
    return { saga, reaction: saga.takeReaction(true) };
  }

  static restore(state: FulfilmentState, timeouts: FulfilmentTimeouts): FulfilmentSaga {
    return new FulfilmentSaga({ ...state, history: [...state.history] }, timeouts);
  }

  get orderId(): string {
    return this.state.order.orderId;
  }

  get isFinal(): boolean {
    return this.state.step === FulfilmentStep.Confirmed || this.state.step === FulfilmentStep.Cancelled;
  }

  /** The command whose reply the current step waits for; null once final. */
  get awaitedCommand(): FulfilmentCommand['kind'] | null {
    switch (this.state.step) {
      case FulfilmentStep.AwaitingStock:
        return 'ReserveStock';
      case FulfilmentStep.AwaitingPayment:
        return 'CapturePayment';
      case FulfilmentStep.ReleasingStock:
        return 'ReleaseStock';
      case FulfilmentStep.Refunding:
        return 'RefundPayment';
      default:
        return null;
    }
  }

  snapshot(): FulfilmentState {
    return { ...this.state, history: [...this.state.history] };
  }

  stockReserved(now: Date): FulfilmentReaction {
    if (this.state.step !== FulfilmentStep.AwaitingStock) {
      return this.ignore();
    }
    if (this.state.order.totalMinor === 0) {
      // Nothing to charge (every line free): the held stock is the whole of the order.
      this.finish(FulfilmentStep.Confirmed);
      this.record(now, 'StockReserved', 'nothing to charge');
      return this.takeReaction(true);
    }
    this.enter(FulfilmentStep.AwaitingPayment, new Date(now.getTime() + this.timeouts.paymentTimeoutMs));
    this.sendStepCommand(now);
    this.record(now, 'StockReserved');
    return this.takeReaction(true);
  }

  stockReservationRejected(
    rejection: 'OUT_OF_STOCK' | 'UNKNOWN_SKU',
    skus: readonly string[],
    now: Date,
  ): FulfilmentReaction {
    if (this.state.step !== FulfilmentStep.AwaitingStock) {
      return this.ignore();
    }
    // Inventory holds nothing for a rejected order: there is nothing to compensate. A sku it does
    // not stock is, for the customer, a sku out of stock; the history keeps inventory's reason.
    this.state.cancellationReason = CancellationReasons.OutOfStock;
    this.finish(FulfilmentStep.Cancelled);
    this.record(now, 'StockReservationRejected', `${rejection}: ${skus.join(', ')}`);
    return this.takeReaction(true);
  }

  paymentCaptured(captureId: string, now: Date): FulfilmentReaction {
    switch (this.state.step) {
      case FulfilmentStep.AwaitingPayment:
        this.finish(FulfilmentStep.Confirmed);
        this.record(now, 'PaymentCaptured');
        return this.takeReaction(true);
      case FulfilmentStep.ReleasingStock:
      case FulfilmentStep.Refunding:
      case FulfilmentStep.Cancelled:
        return this.captureAfterCancellation(captureId, now);
      default:
        return this.ignore();
    }
  }

  paymentDeclined(reason: string, now: Date): FulfilmentReaction {
    if (this.state.step !== FulfilmentStep.AwaitingPayment) {
      return this.ignore(); // after a cancellation a decline charged nothing: nothing to do
    }
    this.cancelReleasingStock(CancellationReasons.PaymentDeclined, now);
    this.record(now, 'PaymentDeclined', reason);
    return this.takeReaction(true);
  }

  paymentFailed(reason: string, retryable: boolean, now: Date): FulfilmentReaction {
    if (this.state.step !== FulfilmentStep.AwaitingPayment) {
      return this.ignore();
    }
    if (!retryable) {
      this.cancelReleasingStock(CancellationReasons.PaymentFailed, now);
      this.record(now, 'PaymentFailed', reason);
      return this.takeReaction(true);
    }
    // The provider may yet decide: ask again after the backoff, until the deadline.
    this.state.wakeAt = this.nextWake(now);
    this.record(now, 'PaymentFailed', `${reason}; asking again by ${this.state.wakeAt.toISOString()}`);
    return this.takeReaction(true);
  }

  stockReleased(now: Date): FulfilmentReaction {
    if (this.state.step !== FulfilmentStep.ReleasingStock) {
      return this.ignore();
    }
    if (this.state.refundStatus === RefundStatus.Requested) {
      this.orderOutcome = { status: 'CANCELLED', reason: this.state.cancellationReason! };
      this.enter(FulfilmentStep.Refunding, null);
      this.state.attempts = 1; // RefundPayment went out when the late capture arrived
      this.state.wakeAt = this.nextWake(now);
      this.record(now, 'StockReleased', 'a late capture is being refunded');
      return this.takeReaction(true);
    }
    this.finish(FulfilmentStep.Cancelled);
    this.record(now, 'StockReleased');
    return this.takeReaction(true);
  }

  paymentRefunded(now: Date): FulfilmentReaction {
    if (this.state.refundStatus !== RefundStatus.Requested) {
      return this.ignore();
    }
    this.state.refundStatus = RefundStatus.Refunded;
    if (this.state.step === FulfilmentStep.Refunding) {
      this.enter(FulfilmentStep.Cancelled, null);
    }
    this.record(now, 'PaymentRefunded');
    return this.takeReaction(true);
  }

  refundFailed(reason: string, retryable: boolean, now: Date): FulfilmentReaction {
    if (this.state.refundStatus !== RefundStatus.Requested) {
      return this.ignore();
    }
    if (retryable) {
      if (this.state.step === FulfilmentStep.Refunding) {
        this.state.wakeAt = this.nextWake(now);
      }
      this.record(now, 'RefundFailed', `${reason}; asking again`);
      return this.takeReaction(true);
    }
    this.state.refundStatus = RefundStatus.Failed;
    if (this.state.step === FulfilmentStep.Refunding) {
      this.enter(FulfilmentStep.Cancelled, null);
    }
    this.record(now, 'RefundFailed', `${reason}: left for reconciliation`);
    return this.takeReaction(true);
  }

  /**
   * The timer, at or after `wakeAt`: past the step's deadline the order is cancelled (stock
   * released); before it, the step's command is sent again (its receiver answers a repeat with its
   * first decision), unless `commandUndelivered` says its last copy has not reached the receiver
   * yet: then the re-send waits another backoff.
   */
  wake(now: Date, { commandUndelivered = false }: { commandUndelivered?: boolean } = {}): FulfilmentReaction {
    const { wakeAt, deadlineAt, step } = this.state;
    if (!wakeAt || wakeAt.getTime() > now.getTime()) {
      return this.ignore();
    }
    if (deadlineAt && deadlineAt.getTime() <= now.getTime()) {
      const reason =
        step === FulfilmentStep.AwaitingStock
          ? CancellationReasons.ReservationTimeout
          : CancellationReasons.PaymentTimeout;
      this.cancelReleasingStock(reason, now);
      this.record(now, 'Timer', `deadline ${deadlineAt.toISOString()} passed`);
      return this.takeReaction(true);
    }
    if (commandUndelivered) {
      this.state.wakeAt = this.nextWake(now);
      this.record(now, 'Timer', `${this.awaitedCommand} not delivered yet: re-send postponed`);
      return this.takeReaction(true);
    }
    this.sendStepCommand(now);
    this.record(now, 'Timer', `no reply: attempt ${this.state.attempts}`);
    return this.takeReaction(true);
  }

  private captureAfterCancellation(captureId: string, now: Date): FulfilmentReaction {
    if (this.state.lateCaptureId !== null) {
      return this.ignore(); // the same capture again: its refund is already under way or done
    }
    // The customer was charged for an order that is cancelled (or being cancelled): give it back.
    this.state.lateCaptureId = captureId;
    this.state.refundStatus = RefundStatus.Requested;
    this.commands.push({ kind: 'RefundPayment', orderId: this.orderId });
    if (this.state.step === FulfilmentStep.Cancelled) {
      this.enter(FulfilmentStep.Refunding, null);
      this.state.attempts = 1;
      this.state.wakeAt = this.nextWake(now);
    }
    this.record(now, 'PaymentCaptured', `capture ${captureId} came after the cancellation: refunding`);
    return this.takeReaction(true);
  }

  private cancelReleasingStock(reason: CancellationReason, now: Date): void {
    this.state.cancellationReason = reason;
    this.enter(FulfilmentStep.ReleasingStock, null);
    this.sendStepCommand(now);
  }

  private finish(step: typeof FulfilmentStep.Confirmed | typeof FulfilmentStep.Cancelled): void {
    this.enter(step, null);
    this.orderOutcome =
      step === FulfilmentStep.Confirmed
        ? { status: 'CONFIRMED' }
        : { status: 'CANCELLED', reason: this.state.cancellationReason! };
  }

  private enter(step: FulfilmentStep, deadlineAt: Date | null): void {
    this.state.step = step;
    this.state.deadlineAt = deadlineAt;
    this.state.attempts = 0;
    this.state.wakeAt = null;
  }

  /** Sends (again) the command the current step waits on, and schedules the next look. */
  private sendStepCommand(now: Date): void {
    this.commands.push(this.stepCommand());
    this.state.attempts += 1;
    this.state.wakeAt = this.nextWake(now);
  }

  private stepCommand(): FulfilmentCommand {
    const { orderId, customerId, lines, totalMinor, currency } = this.state.order;
    switch (this.awaitedCommand) {
      case 'ReserveStock':
        return { kind: 'ReserveStock', orderId, lines };
      case 'CapturePayment':
        return { kind: 'CapturePayment', orderId, customerId, amountMinor: totalMinor, currency };
      case 'ReleaseStock':
        return { kind: 'ReleaseStock', orderId };
      case 'RefundPayment':
        return { kind: 'RefundPayment', orderId };
      case null:
        throw new Error(`A ${this.state.step} fulfilment of order ${orderId} sends nothing`);
    }
  }

  /** The next re-send (exponential backoff from resendAfterMs), never later than the deadline. */
  private nextWake(now: Date): Date {
    const exponent = Math.min(Math.max(this.state.attempts - 1, 0), 20);
    const delay = Math.min(this.timeouts.resendAfterMs * 2 ** exponent, this.timeouts.maxResendAfterMs);
    const resendAt = now.getTime() + delay;
    const deadline = this.state.deadlineAt?.getTime() ?? Number.POSITIVE_INFINITY;
    return new Date(Math.min(resendAt, deadline));
  }

  /** Appends to the history; `sent` is the command this input sent, if any. */
  private record(now: Date, input: string, note?: string): void {
    const sentNow = this.commands.at(-1)?.kind;
    this.state.history.push({
      at: now.toISOString(),
      input,
      step: this.state.step,
      ...(sentNow ? { sent: sentNow } : {}),
      ...(note ? { note } : {}),
    });
    if (this.state.history.length > MAX_HISTORY_ENTRIES) {
      this.state.history.splice(0, this.state.history.length - MAX_HISTORY_ENTRIES);
    }
  }

  private ignore(): FulfilmentReaction {
    return this.takeReaction(false);
  }

  private takeReaction(changed: boolean): FulfilmentReaction {
    const reaction = { changed, commands: this.commands, orderOutcome: this.orderOutcome };
    this.commands = [];
    this.orderOutcome = null;
    return reaction;
  }
}
