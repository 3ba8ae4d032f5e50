// `npm run demo`: places a handful of orders (one that goes through, two customers racing for the
// last unit of a scarce sku, one out of stock, one whose payment is declined), waits until each is
// final, and prints each order's path through the fulfilment saga and the stock of the skus involved.
//
// By default it starts the api itself, in this process: the embedded mode on an in-memory PGlite
// database (nothing is kept), the in-process broker and the payment gateway simulator, on a free
// loopback port, logging errors only (LOG_LEVEL=warn shows warnings too, such as the development
// issuer's, which is harmless here: the api is the demo's own, on loopback). DATABASE_URL,
// KAFKA_BROKERS, PAYMENT_GATEWAY_URL and the issuer's AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL and
// AUTH_DEV_ISSUER are ignored there; the other variables of .env.example apply.
//
// Each customer places and reads its orders with a token of its own, and the saga's path is read
// with an operator's (demo-operator, with the admin role), all from the api's development issuer
// (POST /dev/token, as `npm run token` does). So a running system must run that issuer too
// (embedded mode, or AUTH_DEV_ISSUER=true): against one that trusts an OpenID provider, it stops.
//
//   DEMO_API_URL=http://localhost:3000 npm run demo    against a running system instead
//   AUTH_ADMIN_ROLE=<role>                             the admin role of that system (default admin)
//   DEMO_TIMEOUT_MS=60000                              how long to wait for the orders (default 45000)
//
// Exits 0 when every order reached a final status (CONFIRMED or CANCELLED), 1 otherwise.
import 'reflect-metadata';
import { constants } from 'node:os';
import { ConfigurationError, loadConfig } from '@platform/config';
import { IN_MEMORY } from '@platform/database';
import { createApiApp } from '../apps/api/src/api-app';
import { withPaymentGateway } from '../apps/payment-gateway/src/embedded';
import { developmentToken, NoDevelopmentIssuer, TokenError } from './token';

interface OrderLine {
  sku: string;
  quantity: number;
}

interface Scenario {
  title: string;
  orders: { customerId: string; items: OrderLine[] }[];
}

const SCENARIOS: Scenario[] = [
  {
    title: 'An order that goes through',
    orders: [{ customerId: 'alice', items: [{ sku: 'TEA-SENCHA-100G', quantity: 2 }] }],
  },
  {
    title: 'Two customers race for the last COF-GEISHA-100G',
    orders: [
      { customerId: 'bob', items: [{ sku: 'COF-GEISHA-100G', quantity: 1 }] },
      { customerId: 'carol', items: [{ sku: 'COF-GEISHA-100G', quantity: 1 }] },
    ],
  },
  {
    title: 'A gift card, which is out of stock',
    orders: [
      {
        customerId: 'dave',
        items: [
          { sku: 'TEA-SENCHA-100G', quantity: 1 },
          { sku: 'GFT-CARD-50', quantity: 1 },
        ],
      },
    ],
  },
  {
    title: 'A customer whose payment is declined (the simulator declines "decline-…")',
    orders: [{ customerId: 'decline-erin', items: [{ sku: 'COF-ETHIOPIA-250G', quantity: 3 }] }],
  },
];

interface OrderBody {
  id: string;
  customerId: string;
  status: string;
  cancellationReason?: string;
}

interface HistoryEntry {
  at: string;
  input: string;
  step: string;
  sent?: string;
  note?: string;
}

interface Stock {
  available: number;
  reserved: number;
}

interface Running {
  url: string;
  description: string;
  /** The role that makes a token an operator's (AUTH_ADMIN_ROLE). */
  adminRole: string;
  close: () => Promise<void>;
}

/** The subject of the token that reads the sagas' paths (an operator route). */
const OPERATOR = 'demo-operator';

/** One order of a scenario, with what became of it. */
interface Tracked {
  /** The token's subject, which the api makes the order's customer. */
  customerId: string;
  /** The customer's bearer token, set before the order is placed. */
  token?: string;
  items: OrderLine[];
  placed?: OrderBody;
  /** Why the order could not be placed (the api's answer). */
  placeError?: string;
  final?: OrderBody;
  history: HistoryEntry[];
}

class DemoError extends Error {}

const FINAL = new Set(['CONFIRMED', 'CANCELLED']);
const POLL_INTERVAL_MS = 100;

const useColour = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) => (useColour ? `\u001b[${code}m${text}\u001b[0m` : text);
const green = paint('32');
const red = paint('31');
const yellow = paint('33');
const dim = paint('2');
const bold = paint('1');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function timeoutFromEnvironment(): number {
  const raw = process.env.DEMO_TIMEOUT_MS;
  if (raw === undefined || raw === '') {
    return 45_000;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 100) {
    throw new DemoError(
      `DEMO_TIMEOUT_MS: expected an integer number of milliseconds ≥ 100 (got ${JSON.stringify(raw)})`,
    );
  }
  return value;
}

/** The api, started in this process: embedded database in memory, simulator in-process. */
async function startEmbedded(): Promise<Running> {
  const environment: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL || 'error' };
  const ignored = ['DATABASE_URL', 'KAFKA_BROKERS', 'PAYMENT_GATEWAY_URL'];
  for (const name of [...ignored, 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL', 'AUTH_DEV_ISSUER']) {
    delete environment[name];
  }
  const config = loadConfig({
    ...environment,
    LOG_HTTP_REQUESTS: 'false',
    PGLITE_DATA_DIR: IN_MEMORY,
    SEED_SAMPLE_DATA: 'true',
    HOST: '127.0.0.1',
  });
  if (config.auth.kind !== 'development') {
    throw new DemoError('the embedded api has no development issuer to get tokens from (is NODE_ENV=production?)');
  }
  const { adminRole } = config.auth;
  const gateway = await withPaymentGateway(config);
  try {
    const app = await createApiApp(gateway.config);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.getHttpServer().address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      description: 'embedded api (in-memory PGlite, in-process broker, payment gateway simulated in-process)',
      adminRole,
      close: async () => {
        await app.close();
        await gateway.stop();
      },
    };
  } catch (error) {
    await gateway.stop();
    throw error;
  }
}

async function useRunning(url: string): Promise<Running> {
  const base = url.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(base)) {
    throw new DemoError(`DEMO_API_URL: expected http(s)://host:port (got ${JSON.stringify(url)})`);
  }
  const hint = 'is the api running there? (npm start runs it; without DEMO_API_URL the demo starts its own)';
  const live = await request(base, 'GET', '/health/live').catch((error: unknown) => {
    throw error instanceof DemoError ? new DemoError(`${error.message}: ${hint}`) : error;
  });
  if (live.status !== 200) {
    throw new DemoError(`${base}/health/live answered ${live.status}: ${hint}`);
  }
  return {
    url: base,
    description: 'running system',
    adminRole: process.env.AUTH_ADMIN_ROLE || 'admin',
    close: async () => undefined,
  };
}

async function request(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const { body, token } = options;
  const headers: Record<string, string> = {};
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (token !== undefined) {
    headers.authorization = `Bearer ${token}`;
  }
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : error;
    throw new DemoError(`${method} ${base}${path} failed: ${String(cause)}`);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: response.status, body: parsed };
}

async function stockOf(base: string, sku: string): Promise<Stock | null> {
  const { status, body } = await request(base, 'GET', `/inventory/stock/${encodeURIComponent(sku)}`);
  if (status === 404) {
    return null;
  }
  if (status !== 200) {
    throw new DemoError(`GET /inventory/stock/${sku} answered ${status}: ${JSON.stringify(body)}`);
  }
  const { available, reserved } = body as Stock;
  return { available, reserved };
}

async function stocksOf(base: string, skus: string[]): Promise<Map<string, Stock | null>> {
  return new Map(await Promise.all(skus.map(async (sku) => [sku, await stockOf(base, sku)] as const)));
}

/** One token per customer, and the operator's, from the api's development issuer. */
async function tokensFor(api: Running, orders: Tracked[]): Promise<string> {
  const customers = [...new Set(orders.map((order) => order.customerId))];
  const [operator, ...tokens] = await Promise.all([
    developmentToken(api.url, OPERATOR, [api.adminRole]),
    ...customers.map((customer) => developmentToken(api.url, customer)),
  ]).catch((error: unknown) => {
    throw error instanceof NoDevelopmentIssuer
      ? new DemoError(
          `${error.message}: the demo gets its tokens from it, so run it against an api in embedded mode or ` +
            'with AUTH_DEV_ISSUER=true (without DEMO_API_URL it starts one of its own)',
        )
      : error;
  });
  const byCustomer = new Map(customers.map((customer, index) => [customer, tokens[index]!]));
  for (const order of orders) {
    order.token = byCustomer.get(order.customerId);
  }
  return operator!;
}

/** Places the order as its customer: the api takes the customer from the token, the body has the items only. */
async function place(base: string, order: Tracked): Promise<void> {
  const { status, body } = await request(base, 'POST', '/orders', {
    body: { items: order.items },
    token: order.token,
  });
  if (status === 201) {
    order.placed = body as OrderBody;
  } else {
    const problem = body as { type?: string; detail?: string } | undefined;
    order.placeError = `POST /orders answered ${status}${problem?.detail ? `: ${problem.detail}` : ''}`;
  }
}

/** Polls every placed order until it is final or the deadline passes (looks at least once). */
async function waitUntilFinal(base: string, orders: Tracked[], deadline: number): Promise<void> {
  const open = () => orders.filter((order) => order.placed && !order.final);
  for (;;) {
    await Promise.all(
      open().map(async (order) => {
        const { status, body } = await request(base, 'GET', `/orders/${order.placed!.id}`, { token: order.token });
        if (status !== 200) {
          throw new DemoError(`GET /orders/${order.placed!.id} answered ${status}: ${JSON.stringify(body)}`);
        }
        if (FINAL.has((body as OrderBody).status)) {
          order.final = body as OrderBody;
        }
      }),
    );
    if (open().length === 0 || Date.now() >= deadline) {
      return;
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** The saga's path: an operator route, read with the operator's token. */
async function historyOf(base: string, orderId: string, operatorToken: string): Promise<HistoryEntry[]> {
  const { status, body } = await request(base, 'GET', `/orders/${orderId}/fulfilment`, { token: operatorToken });
  if (status === 404) {
    return []; // the saga has not started yet
  }
  if (status !== 200) {
    throw new DemoError(`GET /orders/${orderId}/fulfilment answered ${status}: ${JSON.stringify(body)}`);
  }
  return (body as { history: HistoryEntry[] }).history;
}

const describeItems = (items: OrderLine[]) => items.map(({ sku, quantity }) => `${quantity} × ${sku}`).join(', ');

function elapsed(ms: number): string {
  return ms < 10_000 ? `+${ms} ms` : `+${(ms / 1000).toFixed(1)} s`;
}

function render(scenarios: { title: string; orders: Tracked[] }[], timeoutMs: number): string[] {
  const all = scenarios.flatMap((scenario) => scenario.orders);
  const customerWidth = Math.max(...all.map((order) => order.customerId.length));
  const itemsWidth = Math.max(...all.map((order) => describeItems(order.items).length));
  const entries = all.flatMap((order) => order.history);
  const inputWidth = Math.max(0, ...entries.map((entry) => entry.input.length));
  const stepWidth = Math.max(0, ...entries.map((entry) => entry.step.length));
  const times = all.map((order) => {
    const start = order.history[0] ? Date.parse(order.history[0].at) : 0;
    return order.history.map((entry) => elapsed(Date.parse(entry.at) - start));
  });
  const timeWidth = Math.max(0, ...times.flat().map((time) => time.length));

  const lines: string[] = [];
  let index = 0;
  for (const scenario of scenarios) {
    lines.push('', bold(scenario.title));
    for (const order of scenario.orders) {
      const orderTimes = times[index++]!;
      const head = `${order.customerId.padEnd(customerWidth)}  ${describeItems(order.items).padEnd(itemsWidth)}  `;
      if (order.placeError) {
        lines.push(`${red('✘')} ${head}${red('NOT PLACED')}  ${order.placeError}`);
        continue;
      }
      if (!order.final) {
        const step = order.history.at(-1)?.step ?? 'not started';
        lines.push(`${yellow('…')} ${head}${yellow(`PENDING after ${timeoutMs} ms`)}  (saga: ${step})`);
      } else if (order.final.status === 'CONFIRMED') {
        lines.push(`${green('✔')} ${head}${green('CONFIRMED')}`);
      } else {
        lines.push(`${red('✘')} ${head}${red('CANCELLED')}  ${order.final.cancellationReason ?? ''}`.trimEnd());
      }
      if (order.history.length === 0) {
        lines.push(dim('    (the saga has not started)'));
      }
      order.history.forEach((entry, position) => {
        const what = [entry.sent ? `sent ${entry.sent}` : '', entry.note ?? ''].filter(Boolean).join('; ');
        lines.push(
          `    ${dim(orderTimes[position]!.padStart(timeWidth))}  ${entry.input.padEnd(inputWidth)}  → ${entry.step.padEnd(stepWidth)}  ${what}`.trimEnd(),
        );
      });
    }
  }
  return lines;
}

function renderStock(before: Map<string, Stock | null>, after: Map<string, Stock | null>): string[] {
  const skuWidth = Math.max(...[...before.keys()].map((sku) => sku.length));
  const show = (stock: Stock | null | undefined, field: keyof Stock) => (stock ? String(stock[field]) : '-');
  const rows = [...before.keys()].map((sku) => {
    const [from, to] = [before.get(sku), after.get(sku)];
    return {
      sku,
      available: `${show(from, 'available')} → ${show(to, 'available')}`,
      reserved: `${show(from, 'reserved')} → ${show(to, 'reserved')}`,
      missing: !from && !to,
    };
  });
  const availableWidth = Math.max(...rows.map((row) => row.available.length));
  return [
    '',
    bold('Stock before → after (reserved: units held for orders)'),
    ...rows.map((row) =>
      row.missing
        ? `  ${row.sku.padEnd(skuWidth)}  no stock record`
        : `  ${row.sku.padEnd(skuWidth)}  available ${row.available.padEnd(availableWidth)}   reserved ${row.reserved}`,
    ),
  ];
}

function summary(orders: Tracked[]): string {
  const counts = new Map<string, number>();
  for (const order of orders) {
    const outcome = order.placeError
      ? 'NOT PLACED'
      : !order.final
        ? 'PENDING'
        : order.final.status === 'CANCELLED'
          ? `CANCELLED ${order.final.cancellationReason ?? ''}`.trim()
          : order.final.status;
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  return `${orders.length} orders: ${[...counts].map(([outcome, count]) => `${count} ${outcome}`).join(', ')}`;
}

async function run(api: Running, timeoutMs: number): Promise<number> {
  const scenarios = SCENARIOS.map((scenario) => ({
    title: scenario.title,
    orders: scenario.orders.map((order): Tracked => ({ ...order, history: [] })),
  }));
  const orders = scenarios.flatMap((scenario) => scenario.orders);
  const skus = [...new Set(orders.flatMap((order) => order.items.map((item) => item.sku)))];

  const operatorToken = await tokensFor(api, orders);
  const before = await stocksOf(api.url, skus);
  console.log(`Placing ${orders.length} orders at once and following their fulfilment sagas...`);
  const started = Date.now();
  await Promise.all(orders.map((order) => place(api.url, order)));
  await waitUntilFinal(api.url, orders, started + timeoutMs);
  for (const order of orders) {
    if (order.placed) {
      order.history = await historyOf(api.url, order.placed.id, operatorToken);
      if (!order.final) {
        // A last look, after the history: an order final by now shows its whole path; one still
        // PENDING shows the path it had taken (the saga's step and the order's status change together).
        await waitUntilFinal(api.url, [order], 0);
        if (order.final) {
          order.history = await historyOf(api.url, order.placed.id, operatorToken);
        }
      }
    }
  }
  const after = await stocksOf(api.url, skus);

  for (const line of [...render(scenarios, timeoutMs), ...renderStock(before, after)]) {
    console.log(line);
  }
  console.log('');
  console.log(`${summary(orders)} (${Date.now() - started} ms)`);

  const unfinished = orders.filter((order) => !order.final);
  if (unfinished.length === 0) {
    return 0;
  }
  const described = unfinished.map((order) =>
    order.placeError
      ? `  ${order.customerId}: ${order.placeError}`
      : `  ${order.customerId}: order ${order.placed!.id} still PENDING (saga step: ${order.history.at(-1)?.step ?? 'not started'})`,
  );
  console.error(
    [
      `error: ${unfinished.length} of ${orders.length} orders did not reach a final status within ${timeoutMs} ms`,
      ...described,
      'GET /orders/<id>/fulfilment shows where a saga stands; DEMO_TIMEOUT_MS=<ms> waits longer.',
    ].join('\n'),
  );
  return 1;
}

/** Set once SIGINT or SIGTERM arrived: the signal's handler closes the api and ends the process. */
let interrupted = false;

async function main(): Promise<number> {
  const timeoutMs = timeoutFromEnvironment();
  const target = process.env.DEMO_API_URL;
  const api = target ? await useRunning(target) : await startEmbedded();
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= api.close());
  const interrupt = (signal: NodeJS.Signals) => {
    interrupted = true;
    console.error(`\n${signal} received: stopping`);
    close().then(
      () => process.exit(128 + constants.signals[signal]),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  console.log(`nest-modulith demo: ${api.description} at ${api.url}`);
  try {
    return await run(api, timeoutMs);
  } finally {
    await close();
    if (!interrupted) {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  }
}

main().then(
  (code) => {
    if (interrupted) {
      return;
    }
    process.exitCode = code;
    // Everything is closed: the process ends by itself. Should anything still hold it, do not hang.
    setTimeout(() => {
      console.error('warning: something still ran after the demo closed the api; exiting');
      process.exit(code);
    }, 5_000).unref();
  },
  (error: unknown) => {
    if (interrupted) {
      return; // requests fail while the api closes; the signal's handler ends the process
    }
    console.error(
      error instanceof DemoError || error instanceof TokenError || error instanceof ConfigurationError
        ? `error: ${error.message}`
        : error,
    );
    process.exit(1);
  },
);
