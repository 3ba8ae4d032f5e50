import { Body, Controller, Get, HttpStatus, Inject, Param, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { openApiSchema, ProblemResponses, RequestHeader, ZodValidationPipe } from '@platform/http';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { FulfilmentView } from '../application/fulfilment/fulfilment.view';
import { GetFulfilmentQuery } from '../application/get-fulfilment/get-fulfilment.query';
import { GetOrderQuery } from '../application/get-order/get-order.query';
import type { OrderView } from '../application/order.view';
import { PlaceOrderCommand } from '../application/place-order/place-order.command';
import {
  FulfilmentResponse,
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKey,
  OrderIdParams,
  OrderResponse,
  PlaceOrderRequest,
} from './order.dto';

@ApiTags('orders')
@Controller('orders')
export class OrdersHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Place an order at current catalog prices' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Repeat a request safely: the same key and body return the same order; another body is 409.',
  })
  @ApiBody({ schema: openApiSchema(PlaceOrderRequest) })
  @ApiResponse({ status: HttpStatus.CREATED, schema: openApiSchema(OrderResponse, 'output') })
  @ProblemResponses(
    HttpStatus.BAD_REQUEST,
    HttpStatus.CONFLICT,
    HttpStatus.PAYLOAD_TOO_LARGE,
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  async place(
    @Body(new ZodValidationPipe(PlaceOrderRequest)) request: z.output<typeof PlaceOrderRequest>,
    @RequestHeader(IDEMPOTENCY_KEY_HEADER, new ZodValidationPipe(IdempotencyKey)) idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    const { order, replayed } = await this.commands.execute(
      new PlaceOrderCommand(request.customerId, request.items, idempotencyKey ?? null),
    );
    void reply.status(HttpStatus.CREATED).header('location', `/orders/${order.id}`);
    if (replayed) {
      void reply.header('idempotent-replayed', 'true');
    }
    return order;
  }

  @Get(':id')
  @ApiOperation({ summary: 'An order with its current status' })
  @ApiResponse({ status: HttpStatus.OK, schema: openApiSchema(OrderResponse, 'output') })
  @ProblemResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  get(@Param(new ZodValidationPipe(OrderIdParams)) { id }: z.output<typeof OrderIdParams>): Promise<OrderView> {
    return this.queries.execute(new GetOrderQuery(id));
  }

  @Get(':id/fulfilment')
  @ApiOperation({ summary: "The order's fulfilment saga: its step and the path it took" })
  @ApiResponse({ status: HttpStatus.OK, schema: openApiSchema(FulfilmentResponse, 'output') })
  @ProblemResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  fulfilment(
    @Param(new ZodValidationPipe(OrderIdParams)) { id }: z.output<typeof OrderIdParams>,
  ): Promise<FulfilmentView> {
    return this.queries.execute(new GetFulfilmentQuery(id));
  }
}
