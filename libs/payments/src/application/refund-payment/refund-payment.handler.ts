import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { checkRules, StateConflict } from '@platform/ddd';
import { type Capture, CaptureStatus, type FailureReason, refundIdempotencyKey } from '../../domain/capture';
import { CaptureMustReferenceAnOrder } from '../../domain/rules/capture-must-reference-an-order.rule';
import { OnlyCapturedPaymentCanBeRefunded } from '../../domain/rules/only-captured-payment-can-be-refunded.rule';
import { PaymentGateway } from '../payment-gateway';
import { CaptureRepository } from '../ports';
import { failureReasonOf } from '../provider-failure';
import { refundEvent } from '../refund-events';
import { type RefundOutcome, refundedOutcome, refundFailedOutcome } from '../refund.outcome';
import { EventOutbox, UnitOfWork } from '../transactions';
import { RefundPaymentCommand } from './refund-payment.command';

/** What the provider said, or why it said nothing. */
type ProviderAnswer =
  { status: 'REFUNDED'; refundId: string } | { status: 'FAILED'; reason: FailureReason; error: string };

/** Step 1's decision: the answer is known without the provider, or the provider is to be asked. */
type Opened = { answered: RefundOutcome } | { toRefund: Capture };

/** Rounds of "another handler recorded first" after which recording gives up. */
const MAX_RECORDING_ROUNDS = 5;

/**
 * Refunds an order's captured payment in full, in the three steps of CapturePaymentHandler, so
 * that no transaction is open while the provider is called and no crash can refund twice:
 *
 * 1. unit of work: the order's capture is read with its row locked. A refunded one stops here
 *    with its outcome, its event recorded again (a sender repeats a command when its answer was
 *    lost); one that is not CAPTURED (none, pending, failed, declined: nothing was charged) is
 *    refused with REQUEST_REFUSED, with no call and nothing changed, its refusal recorded as
 *    `payments.refund-failed.v1`; otherwise this refund attempt is counted;
 * 2. no transaction: the provider is asked to refund the capture with the key derived from the
 *    order. A crash after this step leaves the capture CAPTURED; the next command asks again with
 *    the same key, and the provider answers with its first refund;
 * 3. unit of work: the outcome is saved on the capture, optimistically, with its event in the
 *    outbox. When another handler of the order recorded first, its outcome stands and nothing is
 *    published, except that a refund is recorded over a failure.
 */
@CommandHandler(RefundPaymentCommand)
export class RefundPaymentHandler implements ICommandHandler<RefundPaymentCommand> {
  private readonly logger = new Logger('Payments');

  constructor(
    @Inject(CaptureRepository) private readonly captures: CaptureRepository,
    @Inject(PaymentGateway) private readonly gateway: PaymentGateway,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(EventOutbox) private readonly outbox: EventOutbox,
  ) {}

  async execute({ orderId }: RefundPaymentCommand): Promise<RefundOutcome> {
    checkRules(new CaptureMustReferenceAnOrder(orderId));
    const opened = await this.unitOfWork.run(() => this.open(orderId));
    if ('answered' in opened) {
      return opened.answered;
    }
    const answer = await this.ask(opened.toRefund);
    return this.unitOfWork.run(() => this.record(opened.toRefund, answer));
  }

  private async open(orderId: string): Promise<Opened> {
    const capture = await this.captures.lock(orderId);
    if (capture?.status === CaptureStatus.Refunded) {
      return this.answer(refundedOutcome(capture));
    }
    const refundable = new OnlyCapturedPaymentCanBeRefunded(orderId, capture?.status ?? null);
    if (!capture || refundable.isBroken()) {
      this.logger.warn(`Refund of order ${orderId} refused: ${refundable.message}`);
      return this.answer(refundFailedOutcome(orderId, 'REQUEST_REFUSED'));
    }
    capture.startRefundAttempt();
    await this.captures.saveRefundAttempts(capture);
    return { toRefund: capture };
  }

  private async answer(outcome: RefundOutcome): Promise<Opened> {
    await this.outbox.record([refundEvent(outcome)]);
    return { answered: outcome };
  }

  private async ask(capture: Capture): Promise<ProviderAnswer> {
    const { orderId, captureId } = capture.snapshot();
    try {
      const { refundId } = await this.gateway.refund({
        idempotencyKey: refundIdempotencyKey(orderId),
        captureId: captureId!,
      });
      return { status: 'REFUNDED', refundId };
    } catch (error) {
      const reason = failureReasonOf(error);
      if (!reason) {
        throw error; // not the provider's answer: a bug; the capture stays CAPTURED and the command fails
      }
      const message = (error as Error).message;
      this.logger.warn(`Refund of order ${orderId} failed (${reason}): ${message}`);
      return { status: 'FAILED', reason, error: message };
    }
  }

  private async record(loaded: Capture, answer: ProviderAnswer): Promise<RefundOutcome> {
    let capture = loaded;
    for (let round = 1; round <= MAX_RECORDING_ROUNDS; round += 1) {
      const loadedVersion = capture.version;
      const outcome = apply(capture, answer);
      if (await this.captures.saveRefundOutcome(capture, loadedVersion)) {
        await this.outbox.record([refundEvent(outcome)]);
        return outcome;
      }
      // Another handler of this order recorded a refund outcome since step 1.
      const current = await this.captures.find(capture.orderId);
      if (!current) {
        throw new Error(`The capture of order ${capture.orderId} disappeared`);
      }
      if (current.status === CaptureStatus.Refunded) {
        return refundedOutcome(current); // theirs stands, and its event is already in the outbox
      }
      if (answer.status === 'FAILED') {
        return outcome; // they recorded a failure too, and published it
      }
      capture = current; // they recorded a failure; the provider's refund replaces it
    }
    throw new StateConflict(
      'concurrent-modification',
      `The capture of order ${capture.orderId} kept changing while its refund was recorded; send the command again.`,
    );
  }
}

function apply(capture: Capture, answer: ProviderAnswer): RefundOutcome {
  if (answer.status === 'REFUNDED') {
    capture.recordRefunded(answer.refundId);
    return refundedOutcome(capture);
  }
  capture.recordRefundFailed(answer.error);
  return refundFailedOutcome(capture.orderId, answer.reason);
}
