import { Body, Controller, Get, HttpStatus, Inject, Param, Patch, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AdminOnly, Public } from '@platform/auth';
import { openApiSchema, ProblemResponses, ZodValidationPipe } from '@platform/http';
import type { z } from 'zod';
import { ChangeProductDetailsCommand } from '../application/change-product-details/change-product-details.command';
import { GetProductQuery } from '../application/get-product/get-product.query';
import { ListProductsQuery as ListProducts } from '../application/list-products/list-products.query';
import type { ProductView } from '../application/product.view';
import {
  ChangeProductDetailsRequest,
  DEFAULT_PAGE_SIZE,
  encodeCursor,
  ListProductsQuery,
  MAX_PAGE_SIZE,
  ProductPageResponse,
  ProductResponse,
  SkuParams,
} from './product.dto';

@ApiTags('catalog')
@Controller('catalog/products')
export class ProductsHttpController {
  constructor(
    @Inject(QueryBus) private readonly queries: QueryBus,
    @Inject(CommandBus) private readonly commands: CommandBus,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'List products, ordered by sku, a page at a time' })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  })
  @ApiQuery({
    name: 'cursor',
    required: false,
    schema: { type: 'string' },
    description: 'nextCursor of the previous page',
  })
  @ApiOkResponse({ schema: openApiSchema(ProductPageResponse, 'output') })
  @ProblemResponses(HttpStatus.BAD_REQUEST)
  async list(@Query(new ZodValidationPipe(ListProductsQuery)) query: z.output<typeof ListProductsQuery>) {
    const page = await this.queries.execute(new ListProducts(query.cursor ?? null, query.limit));
    return { items: page.items, nextCursor: page.nextAfter === null ? null : encodeCursor(page.nextAfter) };
  }

  @Get(':sku')
  @Public()
  @ApiOperation({ summary: 'One product' })
  @ApiParam({ name: 'sku', example: 'TEA-SENCHA-100G' })
  @ApiOkResponse({ schema: openApiSchema(ProductResponse, 'output') })
  @ProblemResponses(HttpStatus.NOT_FOUND)
  get(@Param(new ZodValidationPipe(SkuParams)) { sku }: z.output<typeof SkuParams>): Promise<ProductView> {
    return this.queries.execute(new GetProductQuery(sku));
  }

  @Patch(':sku')
  @AdminOnly()
  @ApiOperation({ summary: "Change a product's name, description or price (operator route)" })
  @ApiParam({ name: 'sku', example: 'TEA-SENCHA-100G' })
  @ApiBody({ schema: openApiSchema(ChangeProductDetailsRequest) })
  @ApiOkResponse({ schema: openApiSchema(ProductResponse, 'output') })
  @ProblemResponses(
    HttpStatus.BAD_REQUEST,
    HttpStatus.UNAUTHORIZED,
    HttpStatus.FORBIDDEN,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  change(
    @Param(new ZodValidationPipe(SkuParams)) { sku }: z.output<typeof SkuParams>,
    @Body(new ZodValidationPipe(ChangeProductDetailsRequest)) change: z.output<typeof ChangeProductDetailsRequest>,
  ): Promise<ProductView> {
    return this.commands.execute(new ChangeProductDetailsCommand(sku, change));
  }
}
