export interface SagaRun {
  targetPerMinute: number;
  placedPerMinute: number;
  placed: number;
  refused: number;
  final: number;
  stillPending: number;
  outcomes: Record<string, number>;
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
 * late changes nothing measured.
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
  let pending = placed;
  const deadline = Date.now() + options.settleTimeoutSeconds * 1000;
  while (pending.length > 0 && Date.now() < deadline) {
    const stillPending: Placed[] = [];
    for (let i = 0; i < pending.length; i += 32) {
      await Promise.all(
        pending.slice(i, i + 32).map(async (order) => {
          const response = await fetch(`${url}/orders/${order.id}/fulfilment`, {
            headers: { authorization: `Bearer ${options.adminToken}` },
          });
          const saga = response.ok ? ((await response.json()) as { step: string; updatedAt: string }) : null;
          if (saga && (saga.step === 'CONFIRMED' || saga.step === 'CANCELLED')) {
            latencies.push(Date.parse(saga.updatedAt) - Date.parse(order.createdAt));
            outcomes[saga.step] = (outcomes[saga.step] ?? 0) + 1;
          } else {
            stillPending.push(order);
          }
        }),
      );
    }
    pending = stillPending;
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  return {
    targetPerMinute: perMinute,
    placedPerMinute: Math.round((placed.length / placementSeconds) * 60),
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
