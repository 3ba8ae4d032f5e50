import { Query } from '@nestjs/cqrs';
import type { FulfilmentView } from '../fulfilment/fulfilment.view';

export class GetFulfilmentQuery extends Query<FulfilmentView> {
  constructor(readonly orderId: string) {
    super();
  }
}
