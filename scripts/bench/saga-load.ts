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
}

interface Placed {
  id: string;
  createdAt: string;
  token: string;
}

/**
 * An open-loop load: orders placed at a fixed rate whatever the answers take (as customers arrive
 * in a sale), each by one of `tokens`' customers. Once placement stops, every order is followed to
 * its final step through the operator view, whose timestamps are the server's, so following them
 * late changes nothing measured; it asks about one order at a time while the oldest is not final.
 */
export async function runSaga(options: {
  url: string;
  customerTokens: string[];
  adminToken: string;
  /** Skus ordered in turn, one unit each. */
  skus: string[];
  perMinute: number;
  durationSeconds: number;
  settleTimeoutSeconds: number;
}): Promise<SagaRun> {
  const { url, perMinute, durationSeconds } = options;
  const placed: Placed[] = [];
  let refused = 0;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const total = Math.round((perMinute / 60) * durationSeconds);
  for (let n = 0; n < total; n += 1) {
    const due = started + (n * 60_000) / perMinute;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const token = options.customerTokens[n % options.customerTokens.length]!;
    const body = JSON.stringify({ items: [{ sku: options.skus[n % options.skus.length], quantity: 1 }] });
    const request = fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    })
      .then(async (response) => {
        const order = (await response.json()) as { id?: string; createdAt?: string };
        if (response.status === 201 && order.id && order.createdAt) {
          placed.push({ id: order.id, createdAt: order.createdAt, token });
        } else {
          refused += 1;
        }
      })
      .catch(() => {
        refused += 1;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  const placementSeconds = (performance.now() - started) / 1000;

  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let firstPlacedAt = Infinity;
  let lastFinalAt = -Infinity;
  const finalStep = async (order: Placed): Promise<boolean> => {
    const response = await fetch(`${url}/orders/${order.id}/fulfilment`, {
      headers: { authorization: `Bearer ${options.adminToken}` },
    });
    const saga = response.ok ? ((await response.json()) as { step: string; updatedAt: string }) : null;
    if (!saga || (saga.step !== 'CONFIRMED' && saga.step !== 'CANCELLED')) return false;
    const placedAt = Date.parse(order.createdAt);
    const finalAt = Date.parse(saga.updatedAt);
    latencies.push(finalAt - placedAt);
    outcomes[saga.step] = (outcomes[saga.step] ?? 0) + 1;
    firstPlacedAt = Math.min(firstPlacedAt, placedAt);
    lastFinalAt = Math.max(lastFinalAt, finalAt);
    return true;
  };
  // Orders settle roughly in placement order: while the oldest is not final, only it is asked
  // about, so that following the run takes next to nothing from the api still working through it.
  let pending = [...placed].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const deadline = Date.now() + options.settleTimeoutSeconds * 1000;
  while (pending.length > 0 && Date.now() < deadline) {
    if (!(await finalStep(pending[0]!))) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    const next = pending.slice(1, 33);
    const settled = await Promise.all(next.map(finalStep));
    pending = [...next.filter((_, i) => !settled[i]), ...pending.slice(33)];
  }
  // An order stuck at the head must not hide the ones behind it: a last look at each.
  const unsettled: Placed[] = [];
  for (let i = 0; i < pending.length; i += 32) {
    const batch = pending.slice(i, i + 32);
    const settled = await Promise.all(batch.map(finalStep));
    unsettled.push(...batch.filter((_, n) => !settled[n]));
  }
  pending = unsettled;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  return {
    targetPerMinute: perMinute,
    placedPerMinute: Math.round((placed.length / placementSeconds) * 60),
    finalPerMinute: latencies.length > 0 ? Math.round((latencies.length / (lastFinalAt - firstPlacedAt)) * 60_000) : 0,
    placed: placed.length,
    refused,
    final: latencies.length,
    stillPending: pending.length,
    outcomes,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies.at(-1) ?? 0,
    overOneSecond: latencies.filter((latency) => latency > 1000).length,
  };
}
