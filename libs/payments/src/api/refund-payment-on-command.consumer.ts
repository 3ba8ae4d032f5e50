import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { InboxHandler } from '@platform/inbox';
import type { EventData, IntegrationEvent } from '@platform/messaging';
import { RefundPaymentCommand } from '../application/refund-payment/refund-payment.command';
import { RefundPaymentV1 } from '../contracts/refund-payment.v1';

/**
 * Takes `payments.refund-payment.v1` from the broker through the inbox and runs RefundPayment.
 * Like CapturePaymentOnCommand, the handler owns its transactions (it calls the provider between
 * two units of work) and is idempotent on the order by itself: one refund per capture, asked with
 * an idempotency key derived from the order.
 *
 * Refunded and failed are outcomes, each published as its event, not errors; so is the refusal to
 * refund an order with no captured payment (`payments.refund-failed.v1`, REQUEST_REFUSED). Only a
 * failure (the database, a bug) throws: the broker redelivers it, and dead-letters it after
 * maxAttempts.
 */
@Injectable()
export class RefundPaymentOnCommand implements InboxHandler<typeof RefundPaymentV1> {
  /** `name` keys the inbox rows and is the consumer group: never rename it. */
  readonly consumer = {
    name: 'payments.refund-payment',
    contract: RefundPaymentV1,
    maxAttempts: 10,
    transactionOwner: 'handler' as const,
  };

  constructor(@Inject(CommandBus) private readonly commands: CommandBus) {}

  async handle(event: IntegrationEvent<EventData<typeof RefundPaymentV1>>): Promise<void> {
    await this.commands.execute(new RefundPaymentCommand(event.data.orderId));
  }
}
