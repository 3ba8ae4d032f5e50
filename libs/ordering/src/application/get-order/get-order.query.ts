import { Query } from '@nestjs/cqrs';
import type { OrderView } from '../order.view';
import type { OrderReader } from './order-reader';

export class GetOrderQuery extends Query<OrderView> {
  constructor(
    readonly orderId: string,
    readonly reader: OrderReader,
  ) {
    super();
  }
}
