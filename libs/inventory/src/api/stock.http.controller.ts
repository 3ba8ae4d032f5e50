import { Controller, Get, HttpStatus, Inject, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Public } from '@platform/auth';
import { openApiSchema, ProblemResponses, ZodValidationPipe } from '@platform/http';
import type { z } from 'zod';
import { GetStockQuery } from '../application/get-stock/get-stock.query';
import type { StockView } from '../application/stock.view';
import { SkuParams, StockResponse } from './stock.dto';

@ApiTags('inventory')
@Public()
@Controller('inventory/stock')
export class StockHttpController {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  @Get(':sku')
  @ApiOperation({ summary: 'The stock of one sku: units available and units reserved for orders' })
  @ApiParam({ name: 'sku', example: 'TEA-MATCHA-30G' })
  @ApiOkResponse({ schema: openApiSchema(StockResponse, 'output') })
  @ProblemResponses(HttpStatus.NOT_FOUND)
  get(@Param(new ZodValidationPipe(SkuParams)) { sku }: z.output<typeof SkuParams>): Promise<StockView> {
    return this.queries.execute(new GetStockQuery(sku));
  }
}
