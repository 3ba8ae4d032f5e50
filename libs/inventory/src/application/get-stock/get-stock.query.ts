import { Query } from '@nestjs/cqrs';
import type { StockView } from '../stock.view';

export class GetStockQuery extends Query<StockView> {
  constructor(readonly sku: string) {
    super();
  }
}
