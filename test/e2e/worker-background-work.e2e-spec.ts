import path from 'node:path';
import { checkInvariants, subscriptionsFromAsyncApi } from '../../scripts/chaos/invariants';
import { type AppProcess, startApiProcess, startWorkerProcess } from '../support/app-process';
import { sagaProcessesFixture } from '../support/saga-processes';
import { testIssuer } from '../support/test-issuer';
import { waitFor } from '../support/wait-for';

const ROOT = path.resolve(__dirname, '../..');

/**
 * `BACKGROUND_WORK_IN=worker` without Kafka: the api only records, the worker relays to its
 * in-process broker and runs the consumers and the saga timer. A smoke run of `npm run chaos`: the
 * worker is killed with SIGKILL while captures are in flight, a new one takes over, and the
 * chaos invariants hold afterwards, "no event lost" included, though the killed worker's broker
 * held messages in memory. Stopped with SIGTERM instead, it drains within its grace period.
 */
describe('The worker doing the background work with its in-process broker, killed or stopped mid-saga', () => {
  const saga = sagaProcessesFixture();
  let api: AppProcess | undefined;
  let worker: AppProcess | undefined;

  const common = () => ({ ...saga.env(), BACKGROUND_WORK_IN: 'worker' });
  const startWorker = (env: Record<string, string> = {}) => startWorkerProcess({ ...common(), ...env });
  afterEach(async () => {
    saga.gateway.setFaults({});
    await worker?.stop('SIGKILL');
    await api?.stop('SIGKILL');
  });
  const stock = async () =>
    new Map(
      (
        await saga.sql.query<{ sku: string; available: number; reserved: number }>(
          `SELECT sku, available, reserved FROM inventory.stock WHERE sku = 'TEA-SENCHA-100G'`,
        )
      ).rows.map((row) => [row.sku, { available: row.available, reserved: row.reserved }]),
    );
  const placeOrders = async (count: number, customerPrefix: string) => {
    const issuer = await testIssuer();
    const ids: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const response = await fetch(`${api!.url}/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${issuer.tokenFor(`${customerPrefix}-${index}`)}`,
        },
        body: JSON.stringify({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] }),
      });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { id: string }).id);
    }
    return ids;
  };
  const capturesInFlight = (atLeast: number) =>
    waitFor(async () => {
      const { rows } = await saga.sql.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM ordering.fulfilment_sagas WHERE step = 'AWAITING_PAYMENT'`,
      );
      return rows[0]!.waiting >= atLeast;
    }, 30_000);
  /** Every saga finished and every outbox empty, then the chaos invariants over the orders placed. */
  const expectAllSettled = async (
    accepted: string[],
    stockBefore: Map<string, { available: number; reserved: number }>,
  ) => {
    await waitFor(async () => {
      const { rows } = await saga.sql.query<{ busy: number }>(
        `SELECT count(*)::int AS busy FROM ordering.fulfilment_sagas WHERE wake_at IS NOT NULL OR refund_status = 'REQUESTED'`,
      );
      return rows[0]!.busy === 0;
    }, 90_000);
    await waitFor(async () => {
      const { rows } = await saga.sql.query<{ pending: number }>(
        `SELECT (SELECT count(*) FROM ordering.outbox WHERE status = 'PENDING') + (SELECT count(*) FROM inventory.outbox WHERE status = 'PENDING')
              + (SELECT count(*) FROM payments.outbox WHERE status = 'PENDING') AS pending`,
      );
      return Number(rows[0]!.pending) === 0;
    }, 30_000);
    const results = await checkInvariants(saga.sql, {
      accepted,
      stockBefore,
      charges: saga.gateway.state.charges,
      refunds: saga.gateway.state.refunds,
      subscriptions: subscriptionsFromAsyncApi(ROOT),
    });
    expect(results.filter((result) => !result.holds)).toEqual([]);
    const { rows: orders } = await saga.sql.query<{ status: string }>(
      `SELECT status FROM ordering.orders WHERE id = ANY($1::uuid[])`,
      [accepted],
    );
    expect(orders.map((order) => order.status)).toEqual(accepted.map(() => 'CONFIRMED'));
  };

  it('every order final, stock conserved, charged once, no event lost, no effect twice', async () => {
    api = await startApiProcess({ ...common(), LOG_LEVEL: 'warn' });
    worker = await startWorker();
    const stockBefore = await stock();
    // The provider is slow: captures are in flight in the worker when it dies.
    saga.gateway.setFaults({ latencyMs: 5_000 });
    const accepted = await placeOrders(10, 'worker');
    await capturesInFlight(5);
    // Events the worker took but its consumers had not handled are still pending in the outbox.
    const { rows: unmarked } = await saga.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ordering.outbox WHERE event_type = 'payments.capture-payment.v1' AND status = 'PENDING'`,
    );
    expect(unmarked[0]!.n).toBeGreaterThan(0);

    await worker.stop('SIGKILL');
    saga.gateway.setFaults({});
    worker = await startWorker();
    await expectAllSettled(accepted, stockBefore);
  }, 180_000);

  it('on SIGTERM it drains within SHUTDOWN_GRACE_MS: not ready at once, the captures in hand finished and recorded, exit 0', async () => {
    const graceMs = 20_000;
    api = await startApiProcess({ ...common(), LOG_LEVEL: 'warn' });
    worker = await startWorker({ SHUTDOWN_GRACE_MS: String(graceMs) });
    const stockBefore = await stock();
    saga.gateway.setFaults({ latencyMs: 3_000 });
    const accepted = await placeOrders(10, 'drain');
    await capturesInFlight(5);
    const chargesBefore = saga.gateway.state.charges.length;

    const signalledAt = Date.now();
    const draining = worker;
    draining.child.kill('SIGTERM');
    // Readiness turns 503 while the work in hand finishes, so that no traffic or new work is routed here.
    let readiness: { status: number; body: unknown } | undefined;
    await waitFor(async () => {
      const response = await fetch(`${draining.url}/health/ready`).catch(() => undefined);
      readiness = response && { status: response.status, body: await response.json() };
      return response?.status === 503;
    }, 5_000);
    // Whichever shutdown hook runs first says why: terminus's own ("shutting_down"), or ours (lifecycle draining).
    const body = readiness?.body as { status: string; error: { lifecycle?: { state: string } } };
    expect(body.status === 'shutting_down' || body.error.lifecycle?.state === 'draining').toBe(true);
    expect(await draining.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(graceMs);
    expect(draining.stdout.join('\n')).not.toContain('Shutdown took longer');

    // Each capture the provider was called for is recorded with its outcome: none was cut off half done.
    expect(saga.gateway.state.charges.length).toBeGreaterThan(chargesBefore);
    const { rows: halfDone } = await saga.sql.query<{ order_id: string }>(
      `SELECT order_id FROM payments.captures WHERE status = 'PENDING' AND attempts > 0`,
    );
    expect(halfDone).toEqual([]);

    saga.gateway.setFaults({});
    worker = await startWorker();
    await expectAllSettled(accepted, stockBefore);
  }, 180_000);
});
