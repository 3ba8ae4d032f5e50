import path from 'node:path';
import { applyMigrations, PostgresConnection } from '@platform/database';
import * as Catalog from '../../libs/catalog/src/infrastructure/persistence/generated/client';
import * as Inventory from '../../libs/inventory/src/infrastructure/persistence/generated/client';
import * as Ordering from '../../libs/ordering/src/infrastructure/persistence/generated/client';
import * as Payments from '../../libs/payments/src/infrastructure/persistence/generated/client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Migrations are hand-written SQL (docs/adr/0003): this suite is what catches a schema.prisma and
 * its migrations drifting apart. Every scalar field of every model is written and read back through
 * the module's generated client, as the module's role, on a freshly migrated database. The field lists come from the
 * generated clients, so a field added to a schema fails here until this test and a migration cover it.
 */
describe('Each module’s Prisma schema matches its migrations', () => {
  let database: TestDatabase;
  let connection: PostgresConnection;

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = PostgresConnection.open(database.url, 2, 'schema-test');
    await applyMigrations(connection, path.resolve('prisma'), { log: () => undefined });
  });
  afterAll(async () => {
    await connection.close();
    await database.drop();
  });

  const at = new Date('2026-11-22T10:00:00.123Z');

  it('catalog: Product', async () => {
    const prisma = new Catalog.PrismaClient({ adapter: connection.prismaAdapter('catalog') });
    const product = {
      sku: 'SCHEMA-CHECK',
      name: 'Schema check',
      description: 'd',
      priceMinor: 123,
      currency: 'EUR',
      version: 3,
      createdAt: at,
      updatedAt: at,
    };
    expect(Object.keys(product).sort()).toEqual(Object.keys(Catalog.Prisma.ProductScalarFieldEnum).sort());
    await prisma.product.create({ data: product });
    expect(await prisma.product.findUnique({ where: { sku: product.sku } })).toEqual(product);
  });

  it('ordering: Order, OrderLine, IdempotencyKey, FulfilmentSaga', async () => {
    const prisma = new Ordering.PrismaClient({ adapter: connection.prismaAdapter('ordering') });
    const id = '01a20101-1ff1-7459-8023-368506bbe576';
    const order = {
      id,
      customerId: 'c',
      status: 'CANCELLED',
      currency: 'EUR',
      totalMinor: 9_007_199_254_740_991n,
      cancellationReason: 'OUT_OF_STOCK',
      version: 2,
      createdAt: at,
      updatedAt: at,
    };
    const line = { orderId: id, lineNo: 1, sku: 'A', quantity: 1000, unitPriceMinor: 100_000_000 };
    const key = { key: 'k', requestFingerprint: 'f'.repeat(64), orderId: id, createdAt: at };
    expect(Object.keys(order).sort()).toEqual(Object.keys(Ordering.Prisma.OrderScalarFieldEnum).sort());
    expect(Object.keys(line).sort()).toEqual(Object.keys(Ordering.Prisma.OrderLineScalarFieldEnum).sort());
    expect(Object.keys(key).sort()).toEqual(Object.keys(Ordering.Prisma.IdempotencyKeyScalarFieldEnum).sort());
    const saga = {
      orderId: id,
      step: 'REFUNDING',
      cancellationReason: 'PAYMENT_TIMEOUT',
      orderTerms: { customerId: 'c', lines: [{ sku: 'A', quantity: 1 }], totalMinor: 100, currency: 'EUR' },
      deadlineAt: at,
      wakeAt: at,
      attempts: 2_147_483_647,
      lateCaptureId: 'x'.repeat(255),
      refundStatus: 'REQUESTED',
      history: [{ at: at.toISOString(), input: 'Started', step: 'AWAITING_STOCK' }],
      startedAt: at,
      updatedAt: at,
    };
    expect(Object.keys(saga).sort()).toEqual(Object.keys(Ordering.Prisma.FulfilmentSagaScalarFieldEnum).sort());

    await prisma.order.create({ data: order });
    await prisma.orderLine.create({ data: line });
    await prisma.idempotencyKey.create({ data: key });
    await prisma.fulfilmentSaga.create({ data: saga });
    expect(await prisma.fulfilmentSaga.findUnique({ where: { orderId: id } })).toEqual(saga);

    expect(await prisma.order.findUnique({ where: { id } })).toEqual(order);
    expect(await prisma.orderLine.findMany({ where: { orderId: id } })).toEqual([line]);
    expect(await prisma.idempotencyKey.findUnique({ where: { key: 'k' } })).toEqual(key);
  });

  it('inventory: Stock, Reservation, ReservationLine', async () => {
    const prisma = new Inventory.PrismaClient({ adapter: connection.prismaAdapter('inventory') });
    const orderId = '01a20101-1ff1-7459-8023-368506bbe577';
    const stock = { sku: 'SCHEMA-CHECK', available: 2_147_483_647, reserved: 7, updatedAt: at };
    const reservation = {
      orderId,
      status: 'REJECTED',
      rejectionReason: 'OUT_OF_STOCK',
      rejectedSkus: ['SCHEMA-CHECK', 'OTHER'],
      createdAt: at,
      updatedAt: at,
    };
    const line = { orderId, lineNo: 1, sku: 'SCHEMA-CHECK', quantity: 1_000_000 };
    expect(Object.keys(stock).sort()).toEqual(Object.keys(Inventory.Prisma.StockScalarFieldEnum).sort());
    expect(Object.keys(reservation).sort()).toEqual(Object.keys(Inventory.Prisma.ReservationScalarFieldEnum).sort());
    expect(Object.keys(line).sort()).toEqual(Object.keys(Inventory.Prisma.ReservationLineScalarFieldEnum).sort());

    await prisma.stock.create({ data: stock });
    await prisma.reservation.create({ data: reservation });
    await prisma.reservationLine.create({ data: line });

    expect(await prisma.stock.findUnique({ where: { sku: stock.sku } })).toEqual(stock);
    expect(await prisma.reservation.findUnique({ where: { orderId } })).toEqual(reservation);
    expect(await prisma.reservationLine.findMany({ where: { orderId } })).toEqual([line]);
  });

  it('payments: Capture', async () => {
    const prisma = new Payments.PrismaClient({ adapter: connection.prismaAdapter('payments') });
    const declined = {
      orderId: '01a20101-1ff1-7459-8023-368506bbe577',
      idempotencyKey: 'order-01a20101-1ff1-7459-8023-368506bbe577-capture',
      customerId: 'c',
      amountMinor: 9_007_199_254_740_991n,
      currency: 'EUR',
      status: 'DECLINED',
      captureId: 'cap-1',
      declineReason: 'CARD_DECLINED',
      failureReason: null,
      attempts: 2,
      lastError: 'HTTP 503',
      version: 3,
      createdAt: at,
      updatedAt: at,
      decidedAt: at,
      refundId: null,
      refundAttempts: 0,
      refundLastError: null,
      refundedAt: null,
    };
    const failed = {
      ...declined,
      orderId: '01a20101-1ff1-7459-8023-368506bbe578',
      idempotencyKey: 'order-01a20101-1ff1-7459-8023-368506bbe578-capture',
      status: 'FAILED',
      captureId: null,
      declineReason: null,
      failureReason: 'GATEWAY_UNAVAILABLE',
      decidedAt: null,
    };
    const refunded = {
      ...declined,
      orderId: '01a20101-1ff1-7459-8023-368506bbe579',
      idempotencyKey: 'order-01a20101-1ff1-7459-8023-368506bbe579-capture',
      status: 'REFUNDED',
      declineReason: null,
      refundId: 'ref-1',
      refundAttempts: 2,
      refundLastError: 'HTTP 503',
      refundedAt: at,
    };
    expect(Object.keys(declined).sort()).toEqual(Object.keys(Payments.Prisma.CaptureScalarFieldEnum).sort());
    for (const capture of [declined, failed, refunded]) {
      await prisma.capture.create({ data: capture });
      expect(await prisma.capture.findUnique({ where: { orderId: capture.orderId } })).toEqual(capture);
    }
  });
});
