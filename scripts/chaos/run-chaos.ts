// `npm run chaos`: orders flow while faults are injected, then the invariants of the fulfilment are
// checked (scripts/chaos/README.md). It starts everything it needs: a database of its own on the
// machine's PostgreSQL, a redis-server of its own on a free port, the payment gateway simulator, the
// api and the worker as processes. It never stops or touches the machine's shared services.
// Exit code 0 when every invariant holds, 1 when one does not, 2 when the run itself failed.
//
//   CHAOS_ORDERS=10000            orders the api must accept
//   CHAOS_ORDERS_PER_SECOND=20    the arrival rate (open loop): 10,000 orders in 500 s
//   CHAOS_SEED=<random>           decides the fault moments and the orders; printed, to replay a run
//   CHAOS_SETTLE_SECONDS=75       how long the orders may take to become final once placement ends
//   CHAOS_WORKERS=1               worker processes (each relays and consumes; the kills pick one)
//   CHAOS_ADMIN_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres
//   CHAOS_OUTPUT_DIR=docs         where reliability.md's last results and chaos/results.json are written
//   CHAOS_WORKER_NODE_OPTIONS=    NODE_OPTIONS for the worker, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
//                                 (the profile of each worker's last process, which stops gracefully)
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { format, resolveConfig } from 'prettier';
import { startPaymentGateway } from '../../apps/payment-gateway/src/gateway';
import { testIssuer } from '../../test/support/test-issuer';
import { ROOT } from '../bench/processes';
import { checkInvariants, type InvariantResult, subscriptionsFromAsyncApi } from './invariants';
import { AppProcess, freePort, logPath, OwnRedis } from './processes';
import { renderChaosResults, type ChaosResults, type FaultRecord } from './report';

const ORDERS = Number(process.env.CHAOS_ORDERS ?? 10_000);
const PER_SECOND = Number(process.env.CHAOS_ORDERS_PER_SECOND ?? 20);
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1_000_000));
const SETTLE_SECONDS = Number(process.env.CHAOS_SETTLE_SECONDS ?? 75);
const WORKERS = Number(process.env.CHAOS_WORKERS ?? 1);
const ADMIN_URL = process.env.CHAOS_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const OUTPUT_DIR = path.resolve(ROOT, process.env.CHAOS_OUTPUT_DIR ?? 'docs');
const CUSTOMERS = 200;
/** Two of the skus ordered get little stock: the orders race for it, and some must be refused. */
const SCARCE_STOCK = 600;
const PLENTIFUL_STOCK = 1_000_000;
const OUTAGE_SECONDS = 15;

const startedAt = Date.now();
const elapsed = () => ((Date.now() - startedAt) / 1000).toFixed(1).padStart(6);
const log = (line: string) => console.log(`[chaos ${elapsed()} s] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small deterministic generator (mulberry32): the same seed, the same orders and fault moments. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function main(): Promise<number> {
  const random = generator(SEED);
  const logDirectory = mkdtempSync(path.join(os.tmpdir(), 'nest-modulith-chaos-'));
  log(`seed ${SEED}; ${ORDERS} orders at ${PER_SECOND}/s; logs in ${logDirectory}`);

  const databaseName = `nest_modulith_chaos_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${databaseName}"`);
  const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${databaseName}` }).toString();
  const redis = await OwnRedis.start();
  const gateway = await startPaymentGateway();
  const issuer = await testIssuer();
  const sql = new Client({ connectionString: databaseUrl });
  const processes: AppProcess[] = [];
  // Interrupted (Ctrl-C): the processes, the Redis and the database of the run go with it.
  process.once('SIGINT', () => {
    for (const running of processes) running.signal('SIGKILL');
    void redis
      .stop()
      .then(() => admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`))
      .finally(() => process.exit(130));
  });
  try {
    const common = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      PAYMENT_GATEWAY_URL: gateway.url,
      // The api records events; the worker relays them to its broker and runs the consumers and timers.
      BACKGROUND_WORK_IN: 'worker',
      NODE_ENV: 'development',
      LOG_HTTP_REQUESTS: 'false',
      // Shedding on event-loop delay would refuse orders because the machine is busy with the chaos itself.
      LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
      // Each process keeps up to (modules + 1) × this many connections, and the server allows 100.
      DATABASE_POOL_SIZE: '5',
      // A killed worker's leased events are taken over after this.
      OUTBOX_LEASE_MS: '5000',
      FULFILMENT_TIMER_INTERVAL_MS: '500',
      FULFILMENT_RESEND_AFTER_MS: '5000',
      FULFILMENT_MAX_RESEND_AFTER_MS: '20000',
    };
    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const api = new AppProcess(
      'api',
      'apps/api/src/main.ts',
      { ...common, ...issuer.env, HOST: '127.0.0.1', PORT: String(apiPort), LOG_LEVEL: 'warn' },
      logPath(logDirectory, 'api'),
      async () => (await fetch(`${apiUrl}/health/ready`).catch(() => null))?.ok === true,
    );
    const newWorker = async (n: number) =>
      new AppProcess(
        `worker-${n}`,
        'apps/worker/src/main.ts',
        {
          ...common,
          HOST: '127.0.0.1',
          PORT: String(await freePort()),
          METRICS_PORT: String(await freePort()),
          LOG_LEVEL: 'info',
          MESSAGING_FAULT_INJECTION: 'true',
          ...(process.env.CHAOS_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.CHAOS_WORKER_NODE_OPTIONS } : {}),
        },
        logPath(logDirectory, `worker-${n}`),
        async (output) => output.includes('Worker started'),
      );
    const workers = await Promise.all(Array.from({ length: WORKERS }, (_, n) => newWorker(n + 1)));
    processes.push(api, ...workers);
    log('starting the api (it migrates and seeds the database)');
    await api.start();
    await sql.connect();
    const skus = (await sql.query<{ sku: string }>('SELECT sku FROM inventory.stock ORDER BY sku LIMIT 6')).rows.map(
      (row) => row.sku,
    );
    await sql.query(
      `UPDATE inventory.stock SET available = CASE WHEN sku = ANY($2) THEN $3::int ELSE $4::int END WHERE sku = ANY($1)`,
      [skus, skus.slice(0, 2), SCARCE_STOCK, PLENTIFUL_STOCK],
    );
    const stockBefore = new Map(
      (
        await sql.query<{ sku: string; available: number; reserved: number }>(
          'SELECT sku, available, reserved FROM inventory.stock WHERE sku = ANY($1)',
          [skus],
        )
      ).rows.map((row) => [row.sku, { available: row.available, reserved: row.reserved }]),
    );
    log(`skus ${skus.join(', ')} (the first two with ${SCARCE_STOCK} units)`);
    log(`starting ${WORKERS} worker(s)`);
    await Promise.all(workers.map((worker) => worker.start()));

    // --- Placement, with the faults on a schedule drawn from the seed ---------------------------------
    const placementSeconds = ORDERS / PER_SECOND;
    const at = (from: number, to: number) => (from + random() * (to - from)) * placementSeconds;
    const schedule = [
      { at: at(0.1, 0.3), fault: 'kill-worker' },
      { at: at(0.3, 0.45), fault: 'broker-outage' },
      { at: at(0.45, 0.6), fault: 'kill-worker' },
      { at: at(0.6, 0.75), fault: 'redis-outage' },
      { at: at(0.75, 0.9), fault: 'kill-worker' },
    ].sort((a, b) => a.at - b.at);
    const faults: FaultRecord[] = [];
    const record = (fault: string, detail: string) => {
      faults.push({ atSeconds: Math.round((Date.now() - placementStart) / 100) / 10, fault, detail });
      log(`fault: ${fault}: ${detail}`);
    };
    gateway.setFaults({ errorRate: 0.3, latencyMs: 100 });
    const placementStart = Date.now();
    record('payment-gateway', '30% of captures and refunds answer 500, every answer 100 ms late');

    const runFault = async (fault: string) => {
      if (fault === 'kill-worker') {
        const worker = workers[Math.floor(random() * workers.length)]!;
        record('kill-worker', `SIGKILL to ${worker.name} (pid ${worker.pid}), then a new one`);
        await worker.kill();
        await worker.start();
        log(`${worker.name} #${worker.incarnations} serving`);
      } else if (fault === 'broker-outage') {
        const incarnations = workers.map((worker) => worker.incarnations);
        workers.forEach((worker) => worker.signal('SIGUSR2'));
        record('broker-outage', `every worker's broker unavailable for ${OUTAGE_SECONDS} s`);
        await sleep(OUTAGE_SECONDS * 1000);
        // A worker started meanwhile has its broker available already.
        workers.forEach((worker, n) => worker.incarnations === incarnations[n] && worker.signal('SIGUSR2'));
        log('broker available again');
      } else {
        await redis.stop();
        record('redis-outage', `redis-server stopped for ${OUTAGE_SECONDS} s, then started empty`);
        await sleep(OUTAGE_SECONDS * 1000);
        await redis.restart();
        log('redis back');
      }
    };
    const nemesis = (async () => {
      for (const { at: seconds, fault } of schedule) {
        const wait = placementStart + seconds * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
        await runFault(fault);
      }
    })();
    // A fault that fails (a worker that cannot start again) ends the run, through the cleanup below.
    let faultFailed: unknown;
    nemesis.catch((error: unknown) => (faultFailed = error));

    const accepted: string[] = [];
    const refusals: Record<string, number> = {};
    const tokens = Array.from({ length: CUSTOMERS }, (_, n) =>
      // One customer in ten is declined by the provider (its test-card prefix).
      issuer.tokenFor(n % 10 === 0 ? `decline-chaos-${n}` : `chaos-customer-${n}`),
    );
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    let lastReport = Date.now();
    while (accepted.length < ORDERS) {
      if (accepted.length + inFlight.size >= ORDERS) {
        await Promise.race(inFlight);
        continue;
      }
      const due = placementStart + (sent * 1000) / PER_SECOND;
      if (due > Date.now() + 1) await sleep(due - Date.now());
      const first = Math.floor(random() * skus.length);
      const items = [{ sku: skus[first]!, quantity: 1 + Math.floor(random() * 3) }];
      if (random() < 0.3) items.push({ sku: skus[(first + 1) % skus.length]!, quantity: 1 });
      const token = tokens[Math.floor(random() * tokens.length)]!;
      sent += 1;
      const request = fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ items }),
        signal: AbortSignal.timeout(30_000),
      })
        .then(async (response) => {
          const body = (await response.json()) as { id?: string };
          if (response.status === 201 && body.id) accepted.push(body.id);
          else refusals[response.status] = (refusals[response.status] ?? 0) + 1;
        })
        .catch((error: Error) => {
          refusals[error.name] = (refusals[error.name] ?? 0) + 1;
        })
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        log(
          `placed ${accepted.length}/${ORDERS}${Object.keys(refusals).length ? `, refused ${JSON.stringify(refusals)}` : ''}`,
        );
      }
      if (faultFailed) throw faultFailed;
      if (Date.now() - placementStart > (placementSeconds * 3 + 60) * 1000) {
        throw new Error(`placement is far behind: ${accepted.length} accepted after ${elapsed()} s`);
      }
    }
    await Promise.all(inFlight);
    const placedIn = (Date.now() - placementStart) / 1000;
    log(`placement done: ${accepted.length} accepted in ${placedIn.toFixed(0)} s; waiting for the faults to end`);
    await nemesis;
    gateway.setFaults({});
    record('payment-gateway', 'faults off');

    // --- Settling: every order final, every late charge refunded ----------------------------------------
    const settleDeadline = Date.now() + SETTLE_SECONDS * 1000;
    let pending = Infinity;
    while (Date.now() < settleDeadline) {
      const [row] = (
        await sql.query<{ pending: number }>(
          `SELECT count(*)::int AS pending FROM ordering.orders WHERE status = 'PENDING' AND id = ANY($1::uuid[])`,
          [accepted],
        )
      ).rows;
      pending = row!.pending;
      const [refunding] = (
        await sql.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM ordering.fulfilment_sagas WHERE wake_at IS NOT NULL OR refund_status = 'REQUESTED'`,
        )
      ).rows;
      if (pending === 0 && refunding!.count === 0) break;
      log(`settling: ${pending} orders pending, ${refunding!.count} sagas still at work`);
      await sleep(5_000);
    }
    const settledIn = (Date.now() - placementStart) / 1000 - placedIn;
    log(
      pending === 0
        ? `all orders final ${settledIn.toFixed(0)} s after placement`
        : `${pending} orders never became final`,
    );
    // Events still in flight (a late refund's reply) have a moment to land before the books are read.
    await sleep(3_000);

    log('checking the invariants');
    const invariants: InvariantResult[] = await checkInvariants(sql, {
      accepted,
      stockBefore,
      charges: gateway.state.charges,
      refunds: gateway.state.refunds,
      subscriptions: subscriptionsFromAsyncApi(ROOT),
    });
    const outcomes = (
      await sql.query<{ outcome: string; count: number }>(
        `SELECT coalesce(cancellation_reason, status) AS outcome, count(*)::int AS count
         FROM ordering.orders WHERE id = ANY($1::uuid[]) GROUP BY 1 ORDER BY 2 DESC`,
        [accepted],
      )
    ).rows;
    const results: ChaosResults = {
      ranAt: new Date().toISOString(),
      seed: SEED,
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      orders: {
        accepted: accepted.length,
        refused: refusals,
        perSecond: PER_SECOND,
        placedInSeconds: Math.round(placedIn),
      },
      settledInSeconds: pending === 0 ? Math.round(settledIn) : null,
      totalSeconds: Math.round((Date.now() - startedAt) / 1000),
      outcomes: Object.fromEntries(outcomes.map((row) => [row.outcome, row.count])),
      workers: WORKERS,
      workerIncarnations: workers.reduce((sum, worker) => sum + worker.incarnations, 0),
      faults,
      invariants,
    };
    for (const invariant of invariants) {
      log(`${invariant.holds ? 'HOLDS ' : 'BROKEN'} ${invariant.name}: ${invariant.detail}`);
    }
    await writeResults(results);
    const broken = invariants.filter((invariant) => !invariant.holds);
    log(
      broken.length === 0 ? 'every invariant holds' : `${broken.length} invariant(s) broken; logs in ${logDirectory}`,
    );
    return broken.length === 0 ? 0 : 1;
  } finally {
    for (const running of processes.reverse()) await running.stop();
    await sql.end().catch(() => undefined);
    await gateway.close();
    await redis.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin.end();
  }
}

async function writeResults(results: ChaosResults): Promise<void> {
  mkdirSync(path.join(OUTPUT_DIR, 'chaos'), { recursive: true });
  writeFileSync(path.join(OUTPUT_DIR, 'chaos', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const reliability = path.join(OUTPUT_DIR, 'reliability.md');
  let document: string;
  try {
    document = readFileSync(reliability, 'utf8');
  } catch {
    document = '# Reliability\n';
  }
  const block = `<!-- chaos-results:start -->\n${renderChaosResults(results)}\n<!-- chaos-results:end -->`;
  const markers = /<!-- chaos-results:start -->[\s\S]*<!-- chaos-results:end -->/;
  const updated = markers.test(document)
    ? document.replace(markers, block)
    : `${document.trimEnd()}\n\n## Last chaos run\n\n${block}\n`;
  const options = (await resolveConfig(reliability)) ?? {};
  writeFileSync(reliability, await format(updated, { ...options, filepath: reliability }));
  log(
    `wrote ${path.relative(ROOT, reliability)} and ${path.relative(ROOT, path.join(OUTPUT_DIR, 'chaos', 'results.json'))}`,
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
