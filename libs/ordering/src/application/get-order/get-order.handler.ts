import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ResourceNotFound } from '@platform/ddd';
import type { OrderView } from '../order.view';
import { OrderReadModel } from '../ports';
import { GetOrderQuery } from './get-order.query';
import { orderIsVisibleTo } from './order-reader';

@QueryHandler(GetOrderQuery)
export class GetOrderHandler implements IQueryHandler<GetOrderQuery> {
  constructor(@Inject(OrderReadModel) private readonly views: OrderReadModel) {}

  async execute({ orderId, reader }: GetOrderQuery): Promise<OrderView> {
    const order = await this.views.findView(orderId);
    if (!order || !orderIsVisibleTo(order, reader)) {
      throw new ResourceNotFound('Order', orderId);
    }
    return order;
  }
}
