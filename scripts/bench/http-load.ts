import autocannon from 'autocannon';

export interface Throughput {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than the expected status, and connection errors or timeouts. */
  unexpected: number;
  /** Those other answers by status code (load shedding is 503). */
  otherStatuses: Record<string, number>;
}

export interface HttpLoad {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Bodies sent in turn, one per request. */
  bodies?: string[];
  /** Paths requested in turn (relative to url), one per request. */
  paths?: string[];
  connections: number;
  durationSeconds: number;
  expectStatus: number;
}

/** A closed-loop HTTP load with autocannon: `connections` requests in flight at all times. */
export async function measureHttp(load: HttpLoad): Promise<Throughput> {
  let turn = 0;
  const next = <T>(values: T[] | undefined): T | undefined => values?.[turn++ % values.length];
  const result = await autocannon({
    url: load.url,
    method: load.method ?? 'GET',
    connections: load.connections,
    duration: load.durationSeconds,
    headers: { 'content-type': 'application/json', ...load.headers },
    requests: [
      {
        setupRequest: (request) => {
          const path = next(load.paths);
          const body = next(load.bodies);
          return { ...request, ...(path ? { path } : {}), ...(body ? { body } : {}) };
        },
      },
    ],
    expectBody: undefined,
  });
  const expected = load.expectStatus;
  const matching = result.statusCodeStats?.[`${expected}`]?.count ?? 0;
  const otherStatuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {})
      .filter(([status]) => status !== `${expected}`)
      .map(([status, stats]) => [status, stats.count ?? 0]),
  );
  return {
    otherStatuses,
    requestsPerSecond: Math.round(matching / load.durationSeconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    unexpected: result.requests.total - matching + result.errors + result.timeouts,
  };
}
