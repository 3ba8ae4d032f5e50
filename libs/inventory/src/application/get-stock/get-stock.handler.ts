import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ResourceNotFound } from '@platform/ddd';
import { StockRepository } from '../ports';
import type { StockView } from '../stock.view';
import { GetStockQuery } from './get-stock.query';

@QueryHandler(GetStockQuery)
export class GetStockHandler implements IQueryHandler<GetStockQuery> {
  constructor(@Inject(StockRepository) private readonly stock: StockRepository) {}

  async execute({ sku }: GetStockQuery): Promise<StockView> {
    const view = await this.stock.findView(sku);
    if (!view) {
      throw new ResourceNotFound('Stock of sku', sku);
    }
    return view;
  }
}
