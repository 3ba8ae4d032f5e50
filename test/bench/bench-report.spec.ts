import { renderReport, type BenchResults } from '../../scripts/bench/report';

/** How `npm run bench` turns its measurements into docs/benchmarks.md and the chart (scripts/bench/report.ts). */
describe('benchmark report', () => {
  const throughput = (requestsPerSecond: number) => ({
    requestsPerSecond,
    p50Ms: 10,
    p99Ms: 40,
    unexpected: 0,
    otherStatuses: {},
  });
  const saga = (overrides: Partial<NonNullable<BenchResults['modes'][number]['saga']>> = {}) => ({
    targetPerMinute: 10_000,
    placedPerMinute: 9_990,
    finalPerMinute: 9_950,
    placed: 10_000,
    refused: 0,
    final: 10_000,
    stillPending: 0,
    outcomes: { CONFIRMED: 10_000 },
    p50Ms: 300,
    p99Ms: 900,
    maxMs: 1_200,
    overOneSecond: 5,
    warmUp: { seconds: 10, placed: 1_666, refused: 0, final: 1_666, stillPending: 0 },
    ...overrides,
  });
  const results = (sagaRun = saga()): BenchResults => ({
    ranAt: '2026-12-02T00:00:00.000Z',
    durationSeconds: 480,
    machine: {
      cpu: '2 × Test CPU',
      memoryGiB: 24,
      os: 'Linux',
      node: 'v24',
      postgres: 'PostgreSQL 17',
      redis: 'Redis 7',
    },
    settings: { seconds: 10, connections: 32, sagaSeconds: 60, sagaPerMinute: 10_000, poolSize: 10 },
    modes: [
      {
        mode: 'postgres',
        scenarios: {
          placeOrder: { ...throughput(600), unexpected: 3, otherStatuses: { '503': 3 } },
          baselineOrder: throughput(300),
          productL1Hit: throughput(2_000),
          trivialRoute: throughput(4_000),
        },
        saga: sagaRun,
      },
    ],
    references: { nodePostgres: throughput(1_200), pgbench: { transactionsPerSecond: 1_000, meanLatencyMs: 8 } },
  });

  it('states the machine and each ratio against the references of the same run', () => {
    const { markdown } = renderReport(results());
    expect(markdown).toContain('2 × Test CPU, 24 GiB');
    expect(markdown).toMatch(
      /\| POST \/orders .*\| 600 \|.*\| 3 \(3 × 503\) \| 200 % of the baseline; 50 % of node-postgres; 60 % of pgbench \|/,
    );
    expect(markdown).toMatch(/L1 hit .*\| 50 % of the trivial route \|/);
    expect(markdown).toContain('pgbench, 10 clients: 1000 tps');
  });

  it('calls the saga target met only at the rate, none refused, every order final (the warm-up too), p99 under a second', () => {
    expect(renderReport(results()).markdown).toContain('the saga finished 9950/min over the run');
    expect(renderReport(results()).markdown).toContain(
      'measured after a warm-up of 10 s at the same rate (its 1666 orders',
    );
    expect(renderReport(results()).markdown).toContain('**met**');
    expect(renderReport(results(saga({ p99Ms: 1_500 }))).markdown).toContain('**not met**');
    expect(renderReport(results(saga({ stillPending: 1 }))).markdown).toContain('**not met**');
    expect(renderReport(results(saga({ placedPerMinute: 9_000 }))).markdown).toContain('**not met**');
    expect(renderReport(results(saga({ refused: 1 }))).markdown).toContain('**not met**');
    const unfinishedWarmUp = { seconds: 10, placed: 1_666, refused: 0, final: 1_665, stillPending: 1 };
    expect(renderReport(results(saga({ warmUp: unfinishedWarmUp }))).markdown).toContain('**not met**');
  });

  it('draws one bar per scenario and reference, scaled to the largest', () => {
    const { svg } = renderReport(results());
    expect(svg.match(/<rect /g)).toHaveLength(6);
    expect(svg).toContain('width="360"'); // the trivial route, 4,000/s, the longest bar
    expect(svg).toContain('>reference: pgbench, same INSERTs<');
  });
});
