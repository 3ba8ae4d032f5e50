import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { InboxHandler } from '@platform/inbox';
import type { EventData, IntegrationEvent } from '@platform/messaging';
import { ReleaseStockCommand } from '../application/release-stock/release-stock.command';
import { ReleaseStockV1 } from '../contracts/release-stock.v1';

/**
 * Takes `inventory.release-stock.v1` from the broker through the inbox and runs ReleaseStock, in
 * the inbox's transaction (see ReserveStockOnCommand). Releasing a released or rejected
 * reservation, or one not reserved yet (a tombstone), is an outcome, never an error, and each is
 * answered with `inventory.stock-released.v1`.
 */
@Injectable()
export class ReleaseStockOnCommand implements InboxHandler<typeof ReleaseStockV1> {
  /** `name` keys the inbox rows and is the consumer group: never rename it. */
  readonly consumer = { name: 'inventory.release-stock', contract: ReleaseStockV1, maxAttempts: 10 };

  constructor(@Inject(CommandBus) private readonly commands: CommandBus) {}

  async handle(event: IntegrationEvent<EventData<typeof ReleaseStockV1>>): Promise<void> {
    await this.commands.execute(new ReleaseStockCommand(event.data.orderId));
  }
}
