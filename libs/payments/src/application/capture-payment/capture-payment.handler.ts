import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { StateConflict } from '@platform/ddd';
import { Capture, type FailureReason } from '../../domain/capture';
import { captureEvent } from '../capture-events';
import { type CaptureOutcome, outcomeOf } from '../capture.outcome';
import { type CaptureResult, PaymentGateway } from '../payment-gateway';
import { CaptureRepository } from '../ports';
import { failureReasonOf } from '../provider-failure';
import { EventOutbox, UnitOfWork } from '../transactions';
import { CapturePaymentCommand } from './capture-payment.command';

/** What the provider said, or why it said nothing. */
type ProviderAnswer = CaptureResult | { status: 'FAILED'; reason: FailureReason; error: string };

/** Rounds of "another handler recorded first" after which recording gives up. */
const MAX_RECORDING_ROUNDS = 5;

/**
 * Captures an order's total in three steps, so that no transaction is ever open while the provider
 * is called and no crash can charge twice:
 *
 * 1. the order's capture is created PENDING with its first attempt counted (and its idempotency
 *    key, derived from the order), one statement. If the order has one already, a unit of work
 *    locks it and counts this attempt; a captured or declined order stops there with its outcome
 *    and no call, its outcome event recorded again: a sender repeats a command when its answer was
 *    lost, and needs the answer, not silence;
 * 2. no transaction: the provider is asked with the capture's key (the client retries, behind its
 *    breaker, timeout and bulkhead). A crash after this step leaves the capture PENDING; the next
 *    command asks again with the same key, and the provider answers with its first result;
 * 3. the outcome is saved on the capture, optimistically (the version loaded in step 1), with its
 *    event in the outbox, one statement. When another handler of the order recorded first, its
 *    outcome stands and nothing is published, except that a provider's decision is recorded over a
 *    failure.
 *
 * The first command of an order, the usual case, so costs two statements and no transaction.
 */
@CommandHandler(CapturePaymentCommand)
export class CapturePaymentHandler implements ICommandHandler<CapturePaymentCommand> {
  private readonly logger = new Logger('Payments');

  constructor(
    @Inject(CaptureRepository) private readonly captures: CaptureRepository,
    @Inject(PaymentGateway) private readonly gateway: PaymentGateway,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(EventOutbox) private readonly outbox: EventOutbox,
  ) {}

  async execute({ orderId, customerId, amountMinor, currency }: CapturePaymentCommand): Promise<CaptureOutcome> {
    const requested = Capture.request(orderId, { customerId, amountMinor, currency });
    requested.startAttempt();
    const capture = (await this.captures.addIfAbsent(requested))
      ? requested
      : await this.unitOfWork.run(() => this.openRepeat(requested));
    if (capture.isFinal) {
      return outcomeOf(capture);
    }
    const answer = await this.ask(capture);
    return this.record(capture, answer);
  }

  /** A command for an order that has a capture: its answer if final, else one more attempt. */
  private async openRepeat(requested: Capture): Promise<Capture> {
    const capture = await this.captures.lock(requested.orderId);
    if (!capture) {
      throw new Error(`The capture of order ${requested.orderId} was neither added nor found`);
    }
    capture.checkRepeat(requested.terms);
    if (capture.isFinal) {
      await this.outbox.record([captureEvent(capture)]);
    } else {
      capture.startAttempt();
      await this.captures.saveAttempts(capture);
    }
    return capture;
  }

  private async ask(capture: Capture): Promise<ProviderAnswer> {
    const { idempotencyKey, orderId, customerId, amountMinor, currency } = capture.snapshot();
    try {
      return await this.gateway.capture({ idempotencyKey, reference: orderId, customerId, amountMinor, currency });
    } catch (error) {
      const reason = failureReasonOf(error);
      if (!reason) {
        throw error; // not the provider's answer: a bug; the capture stays PENDING and the command fails
      }
      const message = (error as Error).message;
      this.logger.warn(`Capture of order ${orderId} failed (${reason}): ${message}`);
      return { status: 'FAILED', reason, error: message };
    }
  }

  private async record(loaded: Capture, answer: ProviderAnswer): Promise<CaptureOutcome> {
    let capture = loaded;
    for (let round = 1; round <= MAX_RECORDING_ROUNDS; round += 1) {
      const loadedVersion = capture.version;
      apply(capture, answer);
      if (await this.captures.saveOutcome(capture, loadedVersion, [captureEvent(capture)])) {
        return outcomeOf(capture);
      }
      // Another handler of this order recorded an outcome since step 1.
      const current = await this.captures.find(capture.orderId);
      if (!current) {
        throw new Error(`The capture of order ${capture.orderId} disappeared`);
      }
      if (current.isFinal || answer.status === 'FAILED') {
        return outcomeOf(current); // theirs stands, and its event is already in the outbox
      }
      capture = current; // they recorded a failure; the provider's decision replaces it
    }
    throw new StateConflict(
      'concurrent-modification',
      `The capture of order ${capture.orderId} kept changing while its outcome was recorded; send the command again.`,
    );
  }
}

function apply(capture: Capture, answer: ProviderAnswer): void {
  switch (answer.status) {
    case 'CAPTURED':
      return capture.recordCaptured(answer.captureId);
    case 'DECLINED':
      return capture.recordDeclined(answer.captureId, answer.declineReason);
    case 'FAILED':
      return capture.recordFailed(answer.reason, answer.error);
  }
}
