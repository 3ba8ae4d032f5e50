import { Command } from '@nestjs/cqrs';
import type { RequestedLine } from '../../domain/order';
import type { OrderView } from '../order.view';

export interface PlacedOrder {
  order: OrderView;
  /** True when this is the answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export class PlaceOrderCommand extends Command<PlacedOrder> {
  constructor(
    readonly customerId: string,
    readonly items: readonly RequestedLine[],
    readonly idempotencyKey: string | null,
  ) {
    super();
  }
}
