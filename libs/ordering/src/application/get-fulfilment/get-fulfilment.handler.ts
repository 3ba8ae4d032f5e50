import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ResourceNotFound } from '@platform/ddd';
import type { FulfilmentView } from '../fulfilment/fulfilment.view';
import { FulfilmentReadModel } from '../ports';
import { GetFulfilmentQuery } from './get-fulfilment.query';

@QueryHandler(GetFulfilmentQuery)
export class GetFulfilmentHandler implements IQueryHandler<GetFulfilmentQuery> {
  constructor(@Inject(FulfilmentReadModel) private readonly views: FulfilmentReadModel) {}

  /** 404 also for an order whose saga has not started yet (its OrderPlaced is still on its way). */
  async execute({ orderId }: GetFulfilmentQuery): Promise<FulfilmentView> {
    const fulfilment = await this.views.findView(orderId);
    if (!fulfilment) {
      throw new ResourceNotFound('Fulfilment', orderId);
    }
    return fulfilment;
  }
}
