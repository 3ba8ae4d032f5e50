import { type AppProcess, startApiProcess } from '../support/app-process';
import { sagaProcessesFixture } from '../support/saga-processes';
import { testIssuer } from '../support/test-issuer';
import { waitFor } from '../support/wait-for';

/**
 * A restart in the middle of sagas. With the in-process broker the api process runs every
 * background role (relays, consumers, the saga timer), and the messages it took from the outbox
 * live only in its memory: SIGKILL loses them there, but not in the outbox, where they were not
 * marked published (the broker accepts a message once handled). The sagas must finish after a
 * restart, from what the database holds: their state, their deadlines (`wake_at`), and the outboxes.
 */
describe('Fulfilment saga across a killed and restarted process', () => {
  const saga = sagaProcessesFixture();
  let api: AppProcess | undefined;
  afterAll(() => api?.stop('SIGKILL'));

  const env = () => ({ ...saga.env(), LOG_LEVEL: 'warn' });

  it('every saga under way when the process dies completes after the restart, each order charged once', async () => {
    // The messages the first process takes from the outbox stay leased to it for 15 s: after the
    // restart the relay cannot take them again before the saga's timer finds their replies overdue.
    api = await startApiProcess({ ...env(), OUTBOX_LEASE_MS: '15000' });
    // Four relays over each outbox (the in-process broker's default), one LISTEN connection per outbox.
    const listeners = await saga.sql.query<{ query: string }>(
      `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' ORDER BY query`,
    );
    expect(listeners.rows.map((row) => row.query)).toEqual([
      'LISTEN "catalog_outbox"',
      'LISTEN "inventory_outbox"',
      'LISTEN "ordering_outbox"',
      'LISTEN "payments_outbox"',
    ]);
    const issuer = await testIssuer();
    // The provider is slow: captures are in flight (taken from the outbox, asked of the provider) when the process dies.
    saga.gateway.setFaults({ latencyMs: 10_000 });
    const ids: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      const response = await fetch(`${api.url}/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${issuer.tokenFor(`restart-${index}`)}`,
        },
        body: JSON.stringify({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] }),
      });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { id: string }).id);
    }
    await waitFor(async () => {
      const { rows } = await saga.sql.query(
        `SELECT count(*)::int AS waiting FROM ordering.fulfilment_sagas WHERE step = 'AWAITING_PAYMENT'`,
      );
      return rows[0].waiting >= 10;
    }, 20_000);

    await api.stop('SIGKILL');
    const { rows: atKill } = await saga.sql.query(`SELECT status FROM ordering.orders WHERE status <> 'PENDING'`);
    expect(atKill).toEqual([]); // nothing had finished: every saga was cut off

    saga.gateway.setFaults({});
    api = await startApiProcess(env());
    try {
      await waitFor(async () => {
        const { rows } = await saga.sql.query(
          `SELECT count(*)::int AS pending FROM ordering.orders WHERE status = 'PENDING'`,
        );
        return rows[0].pending === 0;
      }, 90_000);
    } catch (error) {
      const { rows } = await saga.sql.query(
        `SELECT s.step, s.attempts, s.wake_at, s.history->-1 AS last FROM ordering.fulfilment_sagas s
         JOIN ordering.orders o ON o.id = s.order_id WHERE o.status = 'PENDING'`,
      );
      const outboxes = await saga.sql.query(
        `SELECT 'ordering' AS outbox, status, count(*)::int FROM ordering.outbox GROUP BY status
         UNION ALL SELECT 'payments', status, count(*)::int FROM payments.outbox GROUP BY status`,
      );
      throw new Error(
        `${(error as Error).message}; still pending: ${JSON.stringify(rows)}; outboxes: ${JSON.stringify(outboxes.rows)}; ` +
          `api log: ${api.stdout.slice(-30).join('\n')}`,
        { cause: error },
      );
    }

    const { rows: orders } = await saga.sql.query<{ id: string; status: string }>(
      `SELECT id::text, status FROM ordering.orders WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    expect(orders.map((order) => order.status)).toEqual(ids.map(() => 'CONFIRMED'));
    const references = saga.gateway.state.charges.map((charge) => charge.reference).sort();
    expect(references).toEqual([...ids].sort());

    // The saga's timer woke the sagas whose reply was overdue, from the times stored in the database
    // (postponing the re-send while the command still waited in the outbox, or sending it again).
    const { rows: resent } = await saga.sql.query(
      `SELECT count(*)::int AS sagas FROM ordering.fulfilment_sagas
       WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(history) AS entry WHERE entry->>'input' = 'Timer')`,
    );
    expect(resent[0].sagas).toBeGreaterThan(0);
    const stock = await (await fetch(`${api.url}/inventory/stock/TEA-SENCHA-100G`)).json();
    expect(stock).toMatchObject({ reserved: 20 });
  }, 120_000);
});
