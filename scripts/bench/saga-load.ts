import { Agent, request as httpRequest } from 'node:http';

/**
 * The load generator's client: node:http over kept-alive connections. It runs on the machine it
 * measures, so it should cost little: with fetch the generator and the simulated provider together
 * spent about twice the CPU per order.
 */
const agent = new Agent({ keepAlive: true });

function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString()) as unknown,
            });
          } catch (error) {
            reject(error as Error);
          }
        });
        response.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

export interface SagaRun {
  targetPerMinute: number;
  placedPerMinute: number;
  placed: number;
  refused: number;
  final: number;
  stillPending: number;
  outcomes: Record<string, number>;
  /**
   * Orders final per minute over the run, server clocks: from the first placement to the last final
   * step. Below the placement rate, the saga fell behind.
   */
  finalPerMinute: number;
  /** Placement (the order's createdAt) to its final step (the saga's updatedAt), server clocks. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  overOneSecond: number;
  /**
   * The orders placed at the same rate before the measured ones, while the processes warm up (the
   * JIT, the pools, the prepared statements): followed to their final step like the others, left
   * out of the figures above.
   */
  warmUp: { seconds: number; placed: number; refused: number; final: number; stillPending: number };
}

interface Placed {
  id: string;
  createdAt: string;
  token: string;
}

/** An order whose saga has ended, with the server's time of its last step. */
export interface FinalStep {
  id: string;
  step: 'CONFIRMED' | 'CANCELLED';
  updatedAt: Date;
}

/**
 * Reads the final steps of those of `ids` that have one, straight from the saga's table: following
 * the run then takes nothing from the api that works through it.
 */
export type FinalStepsReader = (ids: readonly string[]) => Promise<FinalStep[]>;

/**
 * An open-loop load: orders placed at a fixed rate whatever the answers take (as customers arrive
 * in a sale), each by one of `tokens`' customers, for `warmUpSeconds` and then, with no pause, for
 * `durationSeconds`, the measured part. Once placement stops, every order is followed to
 * its final step, whose timestamp is the server's, so following them late changes nothing
 * measured: from the database when `readFinalSteps` is given, otherwise through the operator view,
 * asking about one order at a time while the oldest is not final.
 */
export async function runSaga(options: {
  url: string;
  customerTokens: string[];
  adminToken: string;
  /** Skus ordered in turn, one unit each. */
  skus: string[];
  perMinute: number;
  durationSeconds: number;
  warmUpSeconds: number;
  settleTimeoutSeconds: number;
  readFinalSteps?: FinalStepsReader;
}): Promise<SagaRun> {
  const { url, perMinute, durationSeconds, warmUpSeconds } = options;
  const warmUp = { orders: [] as Placed[], refused: 0 };
  const measured = { orders: [] as Placed[], refused: 0 };
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const warmUpCount = Math.round((perMinute / 60) * warmUpSeconds);
  const total = warmUpCount + Math.round((perMinute / 60) * durationSeconds);
  const measuredFrom = started + (warmUpCount * 60_000) / perMinute;
  for (let n = 0; n < total; n += 1) {
    const due = started + (n * 60_000) / perMinute;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const token = options.customerTokens[n % options.customerTokens.length]!;
    const body = JSON.stringify({ items: [{ sku: options.skus[n % options.skus.length], quantity: 1 }] });
    const part = n < warmUpCount ? warmUp : measured;
    const request = postJson(`${url}/orders`, body, { authorization: `Bearer ${token}` })
      .then((response) => {
        const order = response.body as { id?: string; createdAt?: string };
        if (response.status === 201 && order.id && order.createdAt) {
          part.orders.push({ id: order.id, createdAt: order.createdAt, token });
        } else {
          part.refused += 1;
        }
      })
      .catch(() => {
        part.refused += 1;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  const placementSeconds = (performance.now() - measuredFrom) / 1000;

  const deadline = Date.now() + options.settleTimeoutSeconds * 1000;
  const everyOrder = [...warmUp.orders, ...measured.orders];
  const finalSteps = await (options.readFinalSteps
    ? followInDatabase(everyOrder, options.readFinalSteps, deadline)
    : followThroughApi(everyOrder, url, options.adminToken, deadline));
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let firstPlacedAt = Infinity;
  let lastFinalAt = -Infinity;
  for (const order of measured.orders) {
    const final = finalSteps.get(order.id);
    if (!final) continue;
    const placedAt = Date.parse(order.createdAt);
    const finalAt = final.updatedAt.getTime();
    latencies.push(finalAt - placedAt);
    outcomes[final.step] = (outcomes[final.step] ?? 0) + 1;
    firstPlacedAt = Math.min(firstPlacedAt, placedAt);
    lastFinalAt = Math.max(lastFinalAt, finalAt);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  const warmUpFinal = warmUp.orders.filter((order) => finalSteps.has(order.id)).length;
  return {
    targetPerMinute: perMinute,
    placedPerMinute: Math.round((measured.orders.length / placementSeconds) * 60),
    finalPerMinute: latencies.length > 0 ? Math.round((latencies.length / (lastFinalAt - firstPlacedAt)) * 60_000) : 0,
    placed: measured.orders.length,
    refused: measured.refused,
    final: latencies.length,
    stillPending: measured.orders.length - latencies.length,
    outcomes,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies.at(-1) ?? 0,
    overOneSecond: latencies.filter((latency) => latency > 1000).length,
    warmUp: {
      seconds: warmUpSeconds,
      placed: warmUp.orders.length,
      refused: warmUp.refused,
      final: warmUpFinal,
      stillPending: warmUp.orders.length - warmUpFinal,
    },
  };
}

/** Asks the database twice a second until every order is final or the deadline passes. */
async function followInDatabase(
  placed: readonly Placed[],
  readFinalSteps: FinalStepsReader,
  deadline: number,
): Promise<Map<string, FinalStep>> {
  const final = new Map<string, FinalStep>();
  let pending = placed.map((order) => order.id);
  while (pending.length > 0) {
    for (const step of await readFinalSteps(pending)) final.set(step.id, step);
    pending = pending.filter((id) => !final.has(id));
    if (pending.length === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return final;
}

/**
 * Through the operator view. Orders settle roughly in placement order: while the oldest is not
 * final, only it is asked about, so that following the run takes little from the api still working
 * through it; then a last look at each, so that an order stuck at the head hides none behind it.
 */
async function followThroughApi(
  placed: readonly Placed[],
  url: string,
  adminToken: string,
  deadline: number,
): Promise<Map<string, FinalStep>> {
  const final = new Map<string, FinalStep>();
  const finalStep = async (order: Placed): Promise<boolean> => {
    const response = await fetch(`${url}/orders/${order.id}/fulfilment`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const saga = response.ok ? ((await response.json()) as { step: string; updatedAt: string }) : null;
    if (!saga || (saga.step !== 'CONFIRMED' && saga.step !== 'CANCELLED')) return false;
    final.set(order.id, { id: order.id, step: saga.step, updatedAt: new Date(saga.updatedAt) });
    return true;
  };
  let pending = [...placed].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  while (pending.length > 0 && Date.now() < deadline) {
    if (!(await finalStep(pending[0]!))) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    const next = pending.slice(1, 33);
    const settled = await Promise.all(next.map(finalStep));
    pending = [...next.filter((_, i) => !settled[i]), ...pending.slice(33)];
  }
  for (let i = 0; i < pending.length; i += 32) {
    await Promise.all(pending.slice(i, i + 32).map(finalStep));
  }
  return final;
}
