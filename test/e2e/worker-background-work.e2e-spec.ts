import path from 'node:path';
import { Client } from 'pg';
import { startPaymentGateway, type RunningPaymentGateway } from '../../apps/payment-gateway/src/gateway';
import { checkInvariants, subscriptionsFromAsyncApi } from '../../scripts/chaos/invariants';
import { type AppProcess, freePort, spawnApp, startApiProcess } from '../support/app-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testIssuer } from '../support/test-issuer';
import { waitFor } from '../support/wait-for';

const ROOT = path.resolve(__dirname, '../..');

/**
 * `BACKGROUND_WORK_IN=worker` without Kafka: the api only records, the worker relays to its
 * in-process broker and runs the consumers and the saga timer. A smoke run of `npm run chaos`: the
 * worker is killed with SIGKILL while captures are in flight, a new one takes over, and the
 * chaos invariants hold afterwards, "no event lost" included, though the killed worker's broker
 * held messages in memory.
 */
describe('The worker doing the background work with its in-process broker, killed mid-saga', () => {
  let database: TestDatabase;
  let gateway: RunningPaymentGateway;
  let sql: Client;
  let api: AppProcess | undefined;
  let worker: AppProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    gateway = await startPaymentGateway();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await api?.stop('SIGKILL');
    await sql.end();
    await gateway.close();
    await database.drop();
  });

  const common = () => ({
    DATABASE_URL: database.url,
    PAYMENT_GATEWAY_URL: gateway.url,
    PAYMENT_GATEWAY_TIMEOUT_MS: '5000',
    BACKGROUND_WORK_IN: 'worker',
    LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    OUTBOX_POLL_INTERVAL_MS: '100',
    OUTBOX_LEASE_MS: '2000',
    FULFILMENT_TIMER_INTERVAL_MS: '100',
    FULFILMENT_RESEND_AFTER_MS: '1000',
    FULFILMENT_MAX_RESEND_AFTER_MS: '2000',
    FULFILMENT_PAYMENT_TIMEOUT_MS: '60000',
  });
  const startWorker = async () => {
    const started = spawnApp('worker', { ...common(), METRICS_PORT: String(await freePort()), LOG_LEVEL: 'info' });
    await waitFor(async () => started.stdout.some((line) => line.includes('Worker started')), 60_000);
    return started;
  };

  it('every order final, stock conserved, charged once, no event lost, no effect twice', async () => {
    api = await startApiProcess({ ...common(), LOG_LEVEL: 'warn' });
    worker = await startWorker();
    const stockBefore = new Map(
      (
        await sql.query<{ sku: string; available: number; reserved: number }>(
          `SELECT sku, available, reserved FROM inventory.stock WHERE sku = 'TEA-SENCHA-100G'`,
        )
      ).rows.map((row) => [row.sku, { available: row.available, reserved: row.reserved }]),
    );
    const issuer = await testIssuer();
    // The provider is slow: captures are in flight in the worker when it dies.
    gateway.setFaults({ latencyMs: 5_000 });
    const accepted: string[] = [];
    for (let index = 0; index < 10; index += 1) {
      const response = await fetch(`${api.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.tokenFor(`worker-${index}`)}` },
        body: JSON.stringify({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] }),
      });
      expect(response.status).toBe(201);
      accepted.push(((await response.json()) as { id: string }).id);
    }
    await waitFor(async () => {
      const { rows } = await sql.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM ordering.fulfilment_sagas WHERE step = 'AWAITING_PAYMENT'`,
      );
      return rows[0]!.waiting >= 5;
    }, 30_000);
    // Events the worker took but its consumers had not handled are still pending in the outbox.
    const { rows: unmarked } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ordering.outbox WHERE event_type = 'payments.capture-payment.v1' AND status = 'PENDING'`,
    );
    expect(unmarked[0]!.n).toBeGreaterThan(0);

    await worker.stop('SIGKILL');
    gateway.setFaults({});
    worker = await startWorker();
    await waitFor(async () => {
      const { rows } = await sql.query<{ busy: number }>(
        `SELECT count(*)::int AS busy FROM ordering.fulfilment_sagas WHERE wake_at IS NOT NULL OR refund_status = 'REQUESTED'`,
      );
      return rows[0]!.busy === 0;
    }, 90_000);
    await waitFor(async () => {
      const { rows } = await sql.query<{ pending: number }>(
        `SELECT (SELECT count(*) FROM ordering.outbox WHERE status = 'PENDING') + (SELECT count(*) FROM inventory.outbox WHERE status = 'PENDING')
              + (SELECT count(*) FROM payments.outbox WHERE status = 'PENDING') AS pending`,
      );
      return Number(rows[0]!.pending) === 0;
    }, 30_000);

    const results = await checkInvariants(sql, {
      accepted,
      stockBefore,
      charges: gateway.state.charges,
      refunds: gateway.state.refunds,
      subscriptions: subscriptionsFromAsyncApi(ROOT),
    });
    expect(results.filter((result) => !result.holds)).toEqual([]);
    const { rows: orders } = await sql.query<{ status: string }>(
      `SELECT status FROM ordering.orders WHERE id = ANY($1::uuid[])`,
      [accepted],
    );
    expect(orders.map((order) => order.status)).toEqual(accepted.map(() => 'CONFIRMED'));
  }, 180_000);
});
