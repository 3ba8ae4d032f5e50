import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { run } from './processes';
import type { Throughput } from './http-load';

/*
 * The database ceiling of placing an order: the INSERTs POST /orders makes (the order, its line,
 * its OrderPlaced event in the outbox), in one transaction, straight to PostgreSQL, first through
 * node-postgres at the HTTP load's concurrency, then through pgbench. Run on a database of its own,
 * migrated like the app's, so that no relay publishes these rows.
 */
const PAYLOAD = JSON.stringify({
  orderId: '00000000-0000-0000-0000-000000000000',
  lines: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }],
});

const STATEMENTS = [
  `INSERT INTO ordering.orders (id, customer_id, status, currency, total_minor, created_at, updated_at)
     VALUES ($1::uuid, 'bench-customer', 'PENDING', 'EUR', 850, now(), now())`,
  `INSERT INTO ordering.order_lines (order_id, line_no, sku, quantity, unit_price_minor)
     VALUES ($1::uuid, 1, 'TEA-SENCHA-100G', 1, 850)`,
  `INSERT INTO ordering.outbox (event_id, event_type, source, subject, occurred_at, payload)
     VALUES (gen_random_uuid(), 'ordering.order-placed.v1', '/ordering', $1::text, now(), '${PAYLOAD}'::jsonb)`,
];

/** `connections` workers over a pool of `poolSize` connections, each repeating the transaction. */
export async function measureNodePostgres(
  databaseUrl: string,
  connections: number,
  poolSize: number,
  durationSeconds: number,
): Promise<Throughput> {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
  const latencies: number[] = [];
  let failures = 0;
  const end = Date.now() + durationSeconds * 1000;
  const worker = async () => {
    while (Date.now() < end) {
      const started = performance.now();
      const client = await pool.connect();
      try {
        const id = randomUUID();
        await client.query('BEGIN');
        for (const statement of STATEMENTS) await client.query(statement, [id]);
        await client.query('COMMIT');
        latencies.push(performance.now() - started);
      } catch {
        failures += 1;
        await client.query('ROLLBACK').catch(() => undefined);
      } finally {
        client.release();
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  await pool.end();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number((latencies[Math.floor(latencies.length * q)] ?? 0).toFixed(1));
  return {
    requestsPerSecond: Math.round(latencies.length / durationSeconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    unexpected: failures,
    otherStatuses: {},
  };
}

/** pgbench with the same transaction as a custom script: its tps and mean latency. */
export async function measurePgbench(
  databaseUrl: string,
  clients: number,
  durationSeconds: number,
): Promise<{ transactionsPerSecond: number; meanLatencyMs: number } | null> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nest-modulith-pgbench-'));
  const script = path.join(dir, 'place-order.sql');
  writeFileSync(
    script,
    [
      // Two random 63-bit halves make the order id: the same id in the three statements, a new one each time.
      '\\set hi random(1, 9223372036854775807)',
      '\\set lo random(1, 9223372036854775807)',
      'BEGIN;',
      ...STATEMENTS.map((statement) => {
        const id = "(lpad(to_hex(:hi::bigint), 16, '0') || lpad(to_hex(:lo::bigint), 16, '0'))";
        return `${statement.replaceAll('$1::uuid', `${id}::uuid`).replaceAll('$1::text', `${id}`).replace(/\s+/g, ' ')};`;
      }),
      'COMMIT;',
    ].join('\n'),
  );
  try {
    const url = new URL(databaseUrl);
    const output = await run('pgbench', [
      '-n',
      '-f',
      script,
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(durationSeconds),
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username) || 'postgres',
      url.pathname.slice(1),
    ]);
    const tps = /tps = ([\d.]+)/.exec(output)?.[1];
    const latency = /latency average = ([\d.]+) ms/.exec(output)?.[1];
    return tps ? { transactionsPerSecond: Math.round(Number(tps)), meanLatencyMs: Number(latency ?? 0) } : null;
  } catch (error) {
    console.error(`pgbench could not run: ${(error as Error).message.split('\n')[0]}`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
