// `npm run bench`: the speed of the template, measured the same way every time, against references
// measured in the same run (scripts/bench/README.md). It starts what it needs (a database of its own
// on the machine's PostgreSQL, a redis-server of its own on a free port, the api as processes),
// never touches the shared services' data, and writes docs/benchmarks.md, docs/benchmarks/results.json
// and docs/benchmarks/throughput.svg.
//
//   BENCH_SECONDS=10        length of each closed-loop measurement (after a 3 s warm-up)
//   BENCH_CONNECTIONS=32    requests in flight in the closed-loop measurements
//   BENCH_SAGA_SECONDS=60   length of the open-loop saga run, at BENCH_SAGA_PER_MINUTE (10000)
//   BENCH_SAGA_WARM_UP_SECONDS=10   placed at the same rate just before it, followed, not counted (PostgreSQL)
//   BENCH_MODES=postgres,embedded
//   BENCH_ADMIN_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres
//   BENCH_OUTPUT_DIR=docs   where benchmarks.md and benchmarks/ are written (a trial run elsewhere)
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyMigrations, PostgresConnection } from '@platform/database';
import { Client } from 'pg';
import { format, resolveConfig } from 'prettier';
import { startPaymentGateway } from '../../apps/payment-gateway/src/gateway';
import { testIssuer } from '../../test/support/test-issuer';
import { measureHttp, type Throughput } from './http-load';
import { freePort, ROOT, run, startBenchApi, startBenchWorker, type RunningProcess } from './processes';
import { renderReport, type BenchResults, type ModeResults } from './report';
import { type FinalStep, runSaga } from './saga-load';
import { measureNodePostgres, measurePgbench } from './sql-reference';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SAGA_SECONDS = Number(process.env.BENCH_SAGA_SECONDS ?? 60);
const SAGA_PER_MINUTE = Number(process.env.BENCH_SAGA_PER_MINUTE ?? 10_000);
const SAGA_WARM_UP_SECONDS = Number(process.env.BENCH_SAGA_WARM_UP_SECONDS ?? 10);
const MODES = (process.env.BENCH_MODES ?? 'postgres,embedded').split(',');
const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
/** The api's connections to PostgreSQL (DATABASE_POOL_SIZE), also pgbench's clients. */
const POOL_SIZE = 10;
const OUTPUT_DIR = path.resolve(ROOT, process.env.BENCH_OUTPUT_DIR ?? 'docs');
const WARM_UP_SECONDS = 3;
const RELAY_PROBE_EVENTS = 20_000;

const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function withDatabase<T>(label: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `nest_modulith_bench_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

async function withOwnRedis<T>(work: (url: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const stopped = new Promise((resolve) => server.once('exit', resolve));
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await run('redis-cli', ['-p', String(port), 'ping']);
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return await work(`redis://127.0.0.1:${port}`);
  } finally {
    server.kill('SIGKILL');
    await stopped;
  }
}

async function sql<Row>(url: string, text: string, params: unknown[] = []): Promise<Row[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

async function migrate(url: string): Promise<void> {
  const connection = PostgresConnection.open(url, 1, 'nest-modulith-bench');
  try {
    await applyMigrations(connection, path.join(ROOT, 'prisma'), { log: () => undefined });
  } finally {
    await connection.close();
  }
}

/** Skus with enough stock for a long run (the sample keeps a few scarce on purpose). */
async function plentifulSkus(api: RunningProcess): Promise<string[]> {
  const skus: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=100&cursor=${cursor}` : '?limit=100';
    const page = (await (await fetch(`${api.url}/catalog/products${query}`)).json()) as {
      items: { sku: string }[];
      nextCursor: string | null;
    };
    skus.push(...page.items.map((item) => item.sku));
    cursor = page.nextCursor;
  } while (cursor);
  const stocks = await Promise.all(
    skus.map(async (sku) => ({
      sku,
      ...((await (await fetch(`${api.url}/inventory/stock/${sku}`)).json()) as { available: number }),
    })),
  );
  return stocks.filter((stock) => stock.available >= 50).map((stock) => stock.sku);
}

async function measure(label: string, load: Parameters<typeof measureHttp>[0]): Promise<Throughput> {
  await measureHttp({ ...load, durationSeconds: WARM_UP_SECONDS });
  const result = await measureHttp(load);
  log(
    `${label}: ${result.requestsPerSecond}/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, unexpected ${result.unexpected} ${JSON.stringify(result.otherStatuses)}`,
  );
  return result;
}

/**
 * One mode's scenarios. On PostgreSQL the relay and saga phase gets a database of its own
 * (`sagaDatabaseUrl`): the orders of the HTTP phase, recorded but never relayed there, would
 * otherwise be a backlog waiting for it.
 */
async function benchMode(
  mode: 'postgres' | 'embedded',
  databaseUrl: string | null,
  sagaDatabaseUrl: string | null,
  redisUrl: string | null,
): Promise<ModeResults> {
  const issuer = await testIssuer();
  const common: Record<string, string> = {
    ...issuer.env,
    // The limits stay on (one Redis call per request where Redis is configured), out of the load's way.
    RATE_LIMIT_PER_CLIENT: '10000000',
    RATE_LIMIT_PER_IP: '10000000',
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { PGLITE_DATA_DIR: 'memory://' }),
  };
  const withRedis: Record<string, string> = redisUrl ? { REDIS_URL: redisUrl, CACHE_NAMESPACE: 'bench' } : {};
  const customer = { authorization: `Bearer ${issuer.tokenFor('bench-customer')}` };
  const results: ModeResults = { mode, scenarios: {} };

  const orderBody = (skus: string[], n: number) =>
    JSON.stringify({ items: [{ sku: skus[n % skus.length], quantity: 1 }] });

  // Placement as deployed with Kafka: this api only records events (a broker address nobody answers
  // keeps the relays and consumers out of it, as in an api instance whose worker runs elsewhere).
  // Embedded there is no such deployment: the api relays and runs the saga while it places orders.
  log(
    `${mode}: starting the api for the HTTP scenarios (${databaseUrl ? 'records events only' : 'runs the saga too'})`,
  );
  const edge = await startBenchApi({
    ...common,
    ...withRedis,
    ...(databaseUrl ? { KAFKA_BROKERS: '127.0.0.1:1' } : {}),
  });
  log(`${mode}: the api logs to ${edge.logFile}`);
  try {
    const skus = await plentifulSkus(edge);
    const orderBodies = Array.from({ length: 997 }, (_, n) => orderBody(skus, n));
    results.scenarios.trivialRoute = await measure(`${mode} GET /health/live`, {
      url: `${edge.url}/health/live`,
      connections: CONNECTIONS,
      durationSeconds: SECONDS,
      expectStatus: 200,
    });
    results.scenarios.productL1Hit = await measure(`${mode} GET product (L1 hit)`, {
      url: `${edge.url}/catalog/products/${skus[0]}`,
      connections: CONNECTIONS,
      durationSeconds: SECONDS,
      expectStatus: 200,
    });
    const place = (route: string) =>
      measure(`${mode} POST ${route}`, {
        url: `${edge.url}${route}`,
        method: 'POST',
        headers: customer,
        bodies: orderBodies,
        connections: CONNECTIONS,
        durationSeconds: SECONDS,
        expectStatus: 201,
      });
    // The baseline first: it leaves no saga work behind to slow down what comes next.
    results.scenarios.baselineOrder = await place('/bench/baseline-orders');
    results.scenarios.placeOrder = await place('/orders');
  } finally {
    await edge.stop();
  }

  // The payment provider is another company's system: on PostgreSQL its simulator answers from
  // this process, as it would from elsewhere, not from the api's event loop. Embedded, the one
  // process simulates it too.
  const gateway = sagaDatabaseUrl ? await startPaymentGateway() : null;
  const sagaEnv = {
    ...common,
    ...withRedis,
    ...(sagaDatabaseUrl ? { DATABASE_URL: sagaDatabaseUrl, BACKGROUND_WORK_IN: 'worker' } : {}),
    ...(gateway ? { PAYMENT_GATEWAY_URL: gateway.url } : {}),
  };
  // On PostgreSQL as deployed, one core each: the api places orders, the worker relays them to its
  // in-process broker and runs the consumers and the saga. Embedded, one process does it all.
  log(`${mode}: starting ${sagaDatabaseUrl ? 'the api and the worker (in-process broker)' : 'the api'} for the saga`);
  const sagaApi = await startBenchApi(sagaEnv);
  let worker: RunningProcess | null = null;
  try {
    worker = sagaDatabaseUrl ? await startBenchWorker(sagaEnv) : null;
    log(`${mode}: the api logs to ${sagaApi.logFile}${worker ? `, the worker to ${worker.logFile}` : ''}`);
    const skus = await plentifulSkus(sagaApi);
    if (sagaDatabaseUrl) {
      // Enough stock that the saga run confirms orders rather than running out.
      await sql(sagaDatabaseUrl, 'UPDATE inventory.stock SET available = available + 1000000');
      log(`${mode}: relay probe, ${RELAY_PROBE_EVENTS} events recorded in one transaction`);
      const started = performance.now();
      await sql(
        sagaDatabaseUrl,
        `INSERT INTO ordering.outbox (event_id, event_type, source, subject, occurred_at, payload)
         SELECT gen_random_uuid(), 'bench.relay-probe.v1', '/bench', 'probe-' || (n % 64), now(), '{}'::jsonb
         FROM generate_series(1, $1) AS n`,
        [RELAY_PROBE_EVENTS],
      );
      for (;;) {
        const [{ pending } = { pending: 0 }] = await sql<{ pending: number }>(
          sagaDatabaseUrl,
          `SELECT count(*)::int AS pending FROM ordering.outbox WHERE event_type = 'bench.relay-probe.v1' AND status = 'PENDING'`,
        );
        if (pending === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const seconds = (performance.now() - started) / 1000;
      const [lag = { p50: 0, p99: 0 }] = await sql<{ p50: number; p99: number }>(
        sagaDatabaseUrl,
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - occurred_at) * 1000) AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - occurred_at) * 1000) AS p99
         FROM ordering.outbox WHERE event_type = 'bench.relay-probe.v1'`,
      );
      results.relayDrain = {
        events: RELAY_PROBE_EVENTS,
        eventsPerSecond: Math.round(RELAY_PROBE_EVENTS / seconds),
        p50LagMs: Math.round(lag.p50),
        p99LagMs: Math.round(lag.p99),
      };
      log(`${mode}: relay drained ${results.relayDrain.eventsPerSecond} events/s`);
    }

    const sagaSeconds = sagaDatabaseUrl ? SAGA_SECONDS : Math.min(SAGA_SECONDS, 20);
    const warmUpSeconds = sagaDatabaseUrl ? SAGA_WARM_UP_SECONDS : 0;
    log(
      `${mode}: saga, ${SAGA_PER_MINUTE} orders/min for ${warmUpSeconds} s of warm-up, then ${sagaSeconds} s measured`,
    );
    const since = new Date();
    results.saga = await runSaga({
      url: sagaApi.url,
      customerTokens: Array.from({ length: 200 }, (_, n) => issuer.tokenFor(`saga-customer-${n}`)),
      adminToken: issuer.tokenFor('bench-operator', { admin: true }),
      skus,
      perMinute: SAGA_PER_MINUTE,
      durationSeconds: sagaSeconds,
      // Embedded, the saga is far from its target and a warm-up would only lengthen the run.
      warmUpSeconds,
      settleTimeoutSeconds: 120,
      ...(sagaDatabaseUrl
        ? {
            readFinalSteps: (ids) =>
              sql<FinalStep>(
                sagaDatabaseUrl,
                `SELECT order_id::text AS id, step, updated_at AS "updatedAt" FROM ordering.fulfilment_sagas
                 WHERE order_id = ANY($1::uuid[]) AND step IN ('CONFIRMED', 'CANCELLED')`,
                [ids],
              ),
          }
        : {}),
    });
    log(`${mode}: saga ${JSON.stringify(results.saga)}`);
    if (sagaDatabaseUrl) {
      const [lag = { events: 0, p50: 0, p99: 0 }] = await sql<{ events: number; p50: number; p99: number }>(
        sagaDatabaseUrl,
        `SELECT count(*)::int AS events,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
         FROM (SELECT extract(epoch FROM published_at - occurred_at) * 1000 AS ms FROM ordering.outbox
                 WHERE occurred_at >= $1 AND event_type <> 'bench.relay-probe.v1' AND published_at IS NOT NULL
               UNION ALL SELECT extract(epoch FROM published_at - occurred_at) * 1000 FROM inventory.outbox
                 WHERE occurred_at >= $1 AND published_at IS NOT NULL
               UNION ALL SELECT extract(epoch FROM published_at - occurred_at) * 1000 FROM payments.outbox
                 WHERE occurred_at >= $1 AND published_at IS NOT NULL) AS lags`,
        [since],
      );
      results.sagaPublishLag = { events: lag.events, p50Ms: Math.round(lag.p50), p99Ms: Math.round(lag.p99) };
    }
  } finally {
    await worker?.stop();
    await sagaApi.stop();
    await gateway?.close();
  }

  const productPaths = (skus: string[]) => skus.map((sku) => `/catalog/products/${sku}`);
  if (redisUrl) {
    log(`${mode}: starting an api whose L1 holds one entry, so reads come from Redis`);
    const l2 = await startBenchApi({ ...common, ...withRedis, CACHE_L1_MAX_ENTRIES: '1' });
    try {
      const skus = (await plentifulSkus(l2)).slice(0, 20);
      results.scenarios.productL2Hit = await measure(`${mode} GET product (L2 hit)`, {
        url: l2.url,
        paths: productPaths(skus),
        connections: CONNECTIONS,
        durationSeconds: SECONDS,
        expectStatus: 200,
      });
    } finally {
      await l2.stop();
    }
  }
  log(`${mode}: starting an api with no L2 and a one-entry L1, so reads go to the database`);
  const miss = await startBenchApi({ ...common, CACHE_L1_MAX_ENTRIES: '1' });
  try {
    const skus = (await plentifulSkus(miss)).slice(0, 20);
    results.scenarios.productMiss = await measure(`${mode} GET product (miss)`, {
      url: miss.url,
      paths: productPaths(skus),
      connections: CONNECTIONS,
      durationSeconds: SECONDS,
      expectStatus: 200,
    });
  } finally {
    await miss.stop();
  }
  return results;
}

async function machine(): Promise<BenchResults['machine']> {
  const [{ version } = { version: 'unknown' }] = await sql<{ version: string }>(ADMIN_URL, 'SELECT version()');
  const redis = (await run('redis-server', ['--version'])).trim();
  const cpus = os.cpus();
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: version.split(' on ')[0]!,
    redis: redis.split(' ').slice(0, 3).join(' '),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const results: BenchResults = {
    ranAt: new Date().toISOString(),
    machine: await machine(),
    settings: {
      seconds: SECONDS,
      connections: CONNECTIONS,
      sagaSeconds: SAGA_SECONDS,
      sagaPerMinute: SAGA_PER_MINUTE,
      poolSize: POOL_SIZE,
    },
    modes: [],
    references: null,
  };
  if (MODES.includes('postgres')) {
    results.modes.push(
      await withDatabase('app', (url) =>
        withDatabase('saga', (sagaUrl) => withOwnRedis((redisUrl) => benchMode('postgres', url, sagaUrl, redisUrl))),
      ),
    );
    results.references = await withDatabase('reference', async (url) => {
      await migrate(url);
      log('references: the same INSERTs in one transaction, node-postgres then pgbench');
      await measureNodePostgres(url, CONNECTIONS, POOL_SIZE, WARM_UP_SECONDS);
      const nodePostgres = await measureNodePostgres(url, CONNECTIONS, POOL_SIZE, SECONDS);
      const pgbench = await measurePgbench(url, POOL_SIZE, SECONDS);
      log(
        `references: node-postgres ${nodePostgres.requestsPerSecond}/s, pgbench ${pgbench?.transactionsPerSecond ?? 'n/a'} tps`,
      );
      return { nodePostgres, pgbench };
    });
  }
  if (MODES.includes('embedded')) {
    results.modes.push(await benchMode('embedded', null, null, null));
  }
  results.durationSeconds = Math.round((Date.now() - started) / 1000);

  const outDir = path.join(OUTPUT_DIR, 'benchmarks');
  mkdirSync(outDir, { recursive: true });
  const { markdown, svg } = renderReport(results);
  // Written as the repository formats them, so that `npm run lint` passes on a fresh run's files.
  const formatted = async (file: string, text: string) =>
    format(text, { ...(await resolveConfig(file)), filepath: file });
  const files: [string, string][] = [
    [path.join(outDir, 'results.json'), JSON.stringify(results)],
    [path.join(OUTPUT_DIR, 'benchmarks.md'), markdown],
  ];
  for (const [file, text] of files) writeFileSync(file, await formatted(file, text));
  writeFileSync(path.join(outDir, 'throughput.svg'), svg);
  log(
    `done in ${results.durationSeconds} s: ${path.relative(ROOT, OUTPUT_DIR) || '.'}/benchmarks.md and its benchmarks/ folder`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
