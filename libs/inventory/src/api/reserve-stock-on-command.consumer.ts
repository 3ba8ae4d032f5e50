import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { InboxDelivery, InboxHandler } from '@platform/inbox';
import type { EventData, IntegrationEvent } from '@platform/messaging';
import { ReserveStockBatchCommand, ReserveStockCommand } from '../application/reserve-stock/reserve-stock.command';
import { ReserveStockV1 } from '../contracts/reserve-stock.v1';

/**
 * Takes `inventory.reserve-stock.v1` from the broker through the inbox and runs ReserveStock. The
 * inbox opens inventory's transaction and records the message in it; the handler's unit of work
 * joins that transaction (nestjs-cls's default propagation, REQUIRED), so the inbox record, the
 * stock change, the reservation and its event commit together or not at all.
 *
 * A rejection (out of stock, unknown sku) is an outcome, published as
 * `inventory.stock-reservation-rejected.v1`, not an error: nothing is thrown, nothing retried.
 * Only a failure (the database, a bug) throws, and the broker redelivers.
 *
 * The inbox drops a redelivery of a message it has handled (same message id): its answer is
 * already in the outbox. A command the saga sends again is a new message, handled and answered
 * again (ReserveStockHandler), without holding stock twice.
 */
@Injectable()
export class ReserveStockOnCommand implements InboxHandler<typeof ReserveStockV1> {
  /** `name` keys the inbox rows and is the consumer group: never rename it. */
  readonly consumer = { name: 'inventory.reserve-stock', contract: ReserveStockV1, maxAttempts: 10 };

  constructor(@Inject(CommandBus) private readonly commands: CommandBus) {}

  async handle(event: IntegrationEvent<EventData<typeof ReserveStockV1>>): Promise<void> {
    await this.commands.execute(new ReserveStockCommand(event.data.orderId, event.data.lines));
  }

  /** A batch of commands: reserved together, one statement per kind of work (ReserveStockHandler.reserveAll). */
  async handleBatch(deliveries: readonly InboxDelivery<EventData<typeof ReserveStockV1>>[]): Promise<void> {
    await this.commands.execute(
      new ReserveStockBatchCommand(
        deliveries.map(({ event, within }) => ({
          command: new ReserveStockCommand(event.data.orderId, event.data.lines),
          within,
        })),
      ),
    );
  }
}
