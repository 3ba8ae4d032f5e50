import { Body, Controller, ForbiddenException, Get, HttpStatus, Inject, Param, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly, CurrentPrincipal, type Principal } from '@platform/auth';
import { openApiSchema, ProblemResponses, RequestHeader, ZodValidationPipe } from '@platform/http';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { FulfilmentView } from '../application/fulfilment/fulfilment.view';
import { GetFulfilmentQuery } from '../application/get-fulfilment/get-fulfilment.query';
import { GetOrderQuery } from '../application/get-order/get-order.query';
import type { OrderReader } from '../application/get-order/order-reader';
import type { OrderView } from '../application/order.view';
import { PlaceOrderCommand } from '../application/place-order/place-order.command';
import {
  CustomerId,
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
  @ApiOperation({ summary: 'Place an order at current catalog prices, for the customer the bearer token names' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Repeat a request safely: the same key and body return the same order; another body is 409.',
  })
  @ApiBody({ schema: openApiSchema(PlaceOrderRequest) })
  @ApiResponse({ status: HttpStatus.CREATED, schema: openApiSchema(OrderResponse, 'output') })
  @ProblemResponses(
    HttpStatus.BAD_REQUEST,
    HttpStatus.UNAUTHORIZED,
    HttpStatus.FORBIDDEN,
    HttpStatus.CONFLICT,
    HttpStatus.PAYLOAD_TOO_LARGE,
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  async place(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodValidationPipe(PlaceOrderRequest)) request: z.output<typeof PlaceOrderRequest>,
    @RequestHeader(IDEMPOTENCY_KEY_HEADER, new ZodValidationPipe(IdempotencyKey)) idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    const { order, replayed } = await this.commands.execute(
      new PlaceOrderCommand(customerOf(principal), request.items, idempotencyKey ?? null),
    );
    void reply.status(HttpStatus.CREATED).header('location', `/orders/${order.id}`);
    if (replayed) {
      void reply.header('idempotent-replayed', 'true');
    }
    return order;
  }

  @Get(':id')
  @ApiOperation({ summary: "An order with its current status: the caller's own, or any for an admin" })
  @ApiResponse({ status: HttpStatus.OK, schema: openApiSchema(OrderResponse, 'output') })
  @ProblemResponses(HttpStatus.BAD_REQUEST, HttpStatus.UNAUTHORIZED, HttpStatus.NOT_FOUND)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param(new ZodValidationPipe(OrderIdParams)) { id }: z.output<typeof OrderIdParams>,
  ): Promise<OrderView> {
    const reader: OrderReader = principal.isAdmin ? { operator: true } : { customerId: principal.subject };
    return this.queries.execute(new GetOrderQuery(id, reader));
  }

  @Get(':id/fulfilment')
  @AdminOnly()
  @ApiOperation({ summary: "The order's fulfilment saga: its step and the path it took (operator route)" })
  @ApiResponse({ status: HttpStatus.OK, schema: openApiSchema(FulfilmentResponse, 'output') })
  @ProblemResponses(HttpStatus.BAD_REQUEST, HttpStatus.UNAUTHORIZED, HttpStatus.FORBIDDEN, HttpStatus.NOT_FOUND)
  fulfilment(
    @Param(new ZodValidationPipe(OrderIdParams)) { id }: z.output<typeof OrderIdParams>,
  ): Promise<FulfilmentView> {
    return this.queries.execute(new GetFulfilmentQuery(id));
  }
}

function customerOf(principal: Principal): string {
  const customerId = CustomerId.safeParse(principal.subject);
  if (!customerId.success) {
    throw new ForbiddenException(customerId.error.issues[0]!.message);
  }
  return customerId.data;
}
