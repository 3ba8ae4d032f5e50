// The api as `npm start` runs it (same instrumentation, same modules), plus the benchmark's reference
// routes: POST /bench/baseline-orders inserts the same order and lines with the ordering module's
// generated Prisma client on the same pool, with no pricing, no domain rules and no outbox; the
// ratio of POST /orders to it is what those cost. Started by run-bench.ts as a process.
import '../../apps/api/src/instrumentation';
import 'reflect-metadata';
import { Body, Controller, HttpStatus, Inject, Module, Post, Res, type DynamicModule } from '@nestjs/common';
import { CurrentPrincipal, type Principal } from '@platform/auth';
import { ConfigurationError, loadConfig, type AppConfig } from '@platform/config';
import { DatabaseConnection } from '@platform/database';
import { closeGracefullyOnSignals } from '@platform/defaults';
import { createHttpApp, ZodValidationPipe } from '@platform/http';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { ApiModule } from '../../apps/api/src/app.module';
import { withPaymentGateway } from '../../apps/payment-gateway/src/embedded';
import { PrismaClient } from '../../libs/ordering/src/infrastructure/persistence/generated/client';

const BaselineOrder = z.strictObject({
  items: z
    .array(z.strictObject({ sku: z.string().min(1).max(64), quantity: z.int().min(1).max(1000) }))
    .min(1)
    .max(50),
});

/** A flat price: the baseline does not ask the catalog (that is part of what POST /orders costs more). */
const BASELINE_UNIT_PRICE_MINOR = 850;

@Controller('bench')
class BaselineOrdersController {
  private readonly prisma: PrismaClient;

  constructor(@Inject(DatabaseConnection) connection: DatabaseConnection) {
    this.prisma = new PrismaClient({ adapter: connection.prismaAdapter('ordering') });
  }

  @Post('baseline-orders')
  async place(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodValidationPipe(BaselineOrder)) request: z.output<typeof BaselineOrder>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const lines = request.items.map((item, index) => ({
      lineNo: index + 1,
      sku: item.sku,
      quantity: item.quantity,
      unitPriceMinor: BASELINE_UNIT_PRICE_MINOR,
    }));
    const order = await this.prisma.order.create({
      data: {
        id: uuidv7(),
        customerId: principal.subject,
        // Not PENDING: the saga's timer starts a saga for a PENDING order that has none, and these
        // orders are not meant to have one.
        status: 'CONFIRMED',
        currency: 'EUR',
        totalMinor: BigInt(lines.reduce((sum, line) => sum + line.quantity * line.unitPriceMinor, 0)),
        lines: { create: lines },
      },
      include: { lines: true },
    });
    void reply.status(HttpStatus.CREATED);
    return { ...order, totalMinor: Number(order.totalMinor) };
  }
}

@Module({})
class BenchApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: BenchApiModule, imports: [ApiModule.forRoot(config)], controllers: [BaselineOrdersController] };
  }
}

async function main(): Promise<void> {
  const { config, stop } = await withPaymentGateway(loadConfig());
  const app = await createHttpApp(BenchApiModule.forRoot(config), config, {
    title: 'nest-modulith API (benchmark build)',
    description: 'The api plus the benchmark reference routes.',
    version: '0.1.0',
  });
  closeGracefullyOnSignals(app, config.http.shutdownGraceMs, stop);
  await app.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
