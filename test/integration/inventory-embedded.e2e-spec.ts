import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CommandBus } from '@nestjs/cqrs';
import { loadConfig } from '@platform/config';
import { createApiApp } from '../../apps/api/src/api-app';
import { withPaymentGateway } from '../../apps/payment-gateway/src/embedded';
import { ReleaseStockCommand } from '../../libs/inventory/src/application/release-stock/release-stock.command';
import { ReserveStockCommand } from '../../libs/inventory/src/application/reserve-stock/reserve-stock.command';

/**
 * The same commands on the embedded database (PGlite, `npm start` without DATABASE_URL): the
 * per-order advisory lock, FOR UPDATE and the array parameters work there too.
 */
describe('Inventory reservations on the embedded database (PGlite)', () => {
  let app: NestFastifyApplication;
  let stopPaymentGateway: () => Promise<void>;

  beforeAll(async () => {
    const config = loadConfig({ PGLITE_DATA_DIR: 'memory://', LOG_LEVEL: 'warn', LOG_HTTP_REQUESTS: 'false' });
    const embedded = await withPaymentGateway(config);
    stopPaymentGateway = embedded.stop;
    app = await createApiApp(embedded.config);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await stopPaymentGateway();
  });

  const stockOf = async (sku: string) => (await app.inject({ method: 'GET', url: `/inventory/stock/${sku}` })).json();

  it('lets as many orders win as there are units, and releases what was held', async () => {
    const commands = app.get(CommandBus);
    const orders = Array.from({ length: 5 }, () => randomUUID());
    const outcomes = await Promise.all(
      orders.map((order) => commands.execute(new ReserveStockCommand(order, [{ sku: 'TEA-MATCHA-30G', quantity: 1 }]))),
    );
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([
      'REJECTED',
      'REJECTED',
      'RESERVED',
      'RESERVED',
      'RESERVED',
    ]);
    expect(await stockOf('TEA-MATCHA-30G')).toEqual({ sku: 'TEA-MATCHA-30G', available: 0, reserved: 3 });

    for (const order of orders) {
      await commands.execute(new ReleaseStockCommand(order));
    }
    expect(await stockOf('TEA-MATCHA-30G')).toEqual({ sku: 'TEA-MATCHA-30G', available: 3, reserved: 0 });
  });
});
