import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { InboxHandler } from '@platform/inbox';
import type { EventData, IntegrationEvent } from '@platform/messaging';
import { CapturePaymentCommand } from '../application/capture-payment/capture-payment.command';
import { CapturePaymentV1 } from '../contracts/capture-payment.v1';

/**
 * Takes `payments.capture-payment.v1` from the broker through the inbox and runs CapturePayment.
 * The handler owns its transactions (`transactionOwner: 'handler'`): the capture calls the
 * provider over HTTP between two units of work, and no transaction may be open across that call.
 * It is idempotent on the order by itself (one capture per order, the provider's idempotency key
 * derived from the order), which that mode requires: a redelivery that comes before the inbox
 * record finds the capture and asks the provider with the same key, and is never charged twice.
 *
 * Captured, declined and failed are outcomes, each published as its event, not errors: nothing is
 * thrown, nothing retried. Only a failure (the database, a bug, a command breaking a rule such as
 * a repeat with another amount) throws: the broker redelivers it, and dead-letters it after
 * maxAttempts.
 */
@Injectable()
export class CapturePaymentOnCommand implements InboxHandler<typeof CapturePaymentV1> {
  /** `name` keys the inbox rows and is the consumer group: never rename it. */
  readonly consumer = {
    name: 'payments.capture-payment',
    contract: CapturePaymentV1,
    maxAttempts: 10,
    transactionOwner: 'handler' as const,
  };

  constructor(@Inject(CommandBus) private readonly commands: CommandBus) {}

  async handle(event: IntegrationEvent<EventData<typeof CapturePaymentV1>>): Promise<void> {
    const { orderId, customerId, amountMinor, currency } = event.data;
    await this.commands.execute(new CapturePaymentCommand(orderId, customerId, amountMinor, currency));
  }
}
