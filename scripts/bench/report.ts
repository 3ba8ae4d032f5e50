import type { Throughput } from './http-load';
import type { SagaRun } from './saga-load';

export interface ModeResults {
  mode: 'postgres' | 'embedded';
  scenarios: Partial<
    Record<
      'placeOrder' | 'baselineOrder' | 'productL1Hit' | 'productL2Hit' | 'productMiss' | 'trivialRoute',
      Throughput
    >
  >;
  relayDrain?: { events: number; eventsPerSecond: number; p50LagMs: number; p99LagMs: number };
  saga?: SagaRun;
  sagaPublishLag?: { events: number; p50Ms: number; p99Ms: number };
}

export interface BenchResults {
  ranAt: string;
  durationSeconds?: number;
  machine: { cpu: string; memoryGiB: number; os: string; node: string; postgres: string; redis: string };
  settings: { seconds: number; connections: number; sagaSeconds: number; sagaPerMinute: number; poolSize: number };
  modes: ModeResults[];
  references: {
    nodePostgres: Throughput;
    pgbench: { transactionsPerSecond: number; meanLatencyMs: number } | null;
  } | null;
}

const SCENARIO_TITLES: Record<keyof ModeResults['scenarios'], string> = {
  placeOrder: 'POST /orders (validation, pricing, outbox, tracing)',
  baselineOrder: 'baseline: the same order and lines with Prisma, no outbox',
  productL1Hit: 'GET /catalog/products/:sku, L1 hit',
  productL2Hit: 'GET /catalog/products/:sku, L2 (Redis) hit',
  productMiss: 'GET /catalog/products/:sku, miss (database)',
  trivialRoute: 'GET /health/live (the framework ceiling)',
};

const ratio = (part: number | undefined, whole: number | undefined): string =>
  part && whole ? `${((part / whole) * 100).toFixed(0)} %` : 'n/a';

function httpTable(mode: ModeResults, results: BenchResults): string[] {
  const s = mode.scenarios;
  const against: Partial<Record<keyof ModeResults['scenarios'], [string, number | undefined][]>> = {
    placeOrder: [
      ['of the baseline', s.baselineOrder?.requestsPerSecond],
      ...(mode.mode === 'postgres'
        ? ([
            ['of node-postgres', results.references?.nodePostgres.requestsPerSecond],
            ['of pgbench', results.references?.pgbench?.transactionsPerSecond],
          ] as [string, number | undefined][])
        : []),
    ],
    productL1Hit: [['of the trivial route', s.trivialRoute?.requestsPerSecond]],
    productL2Hit: [['of the trivial route', s.trivialRoute?.requestsPerSecond]],
    productMiss: [['of the trivial route', s.trivialRoute?.requestsPerSecond]],
  };
  const rows = (Object.keys(SCENARIO_TITLES) as (keyof ModeResults['scenarios'])[])
    .filter((key) => s[key])
    .map((key) => {
      const t = s[key]!;
      const ratios = (against[key] ?? []).map(([label, whole]) => `${ratio(t.requestsPerSecond, whole)} ${label}`);
      const others = Object.entries(t.otherStatuses ?? {}).map(([status, count]) => `${count} × ${status}`);
      const unexpected = t.unexpected === 0 ? '0' : `${t.unexpected}${others.length ? ` (${others.join(', ')})` : ''}`;
      return `| ${SCENARIO_TITLES[key]} | ${t.requestsPerSecond} | ${t.p50Ms} | ${t.p99Ms} | ${unexpected} | ${ratios.join('; ')} |`;
    });
  return [
    '| scenario | requests/s | p50 ms | p99 ms | other answers | ratio |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows,
  ];
}

function sagaLines(mode: ModeResults): string[] {
  const saga = mode.saga;
  if (!saga) return [];
  // Met only if it took every order offered in the measured window and finished each, the warm-up's too.
  const kept =
    saga.placedPerMinute >= saga.targetPerMinute * 0.97 &&
    saga.refused === 0 &&
    saga.stillPending === 0 &&
    saga.warmUp.stillPending === 0 &&
    saga.p99Ms < 1000;
  const { warmUp } = saga;
  return [
    '',
    `Saga, open loop${
      warmUp.seconds > 0
        ? `, measured after a warm-up of ${warmUp.seconds} s at the same rate (its ${warmUp.placed} orders followed` +
          ` to their end and not counted: ${warmUp.refused} refused, ${warmUp.stillPending} not final)`
        : ''
    }:` +
      ` ${saga.placed} orders placed at ${saga.placedPerMinute}/min (target ${saga.targetPerMinute}/min),` +
      ` ${saga.refused} refused (load shedding: 503), ${saga.final} final (${Object.entries(saga.outcomes)
        .map(([step, n]) => `${n} ${step}`)
        .join(', ')}),` +
      ` ${saga.stillPending} not final after the wait; the saga finished ${saga.finalPerMinute}/min over the run. Placement to final step: p50 ${saga.p50Ms} ms, p99 ${saga.p99Ms} ms,` +
      ` max ${saga.maxMs} ms; ${saga.overOneSecond} over one second. Target (10,000/min, none refused, p99 under 1 s): **${kept ? 'met' : 'not met'}**.`,
    ...(mode.sagaPublishLag
      ? [
          '',
          `Outbox publish lag during the saga run (${mode.sagaPublishLag.events} events of ordering, inventory and payments):` +
            ` p50 ${mode.sagaPublishLag.p50Ms} ms, p99 ${mode.sagaPublishLag.p99Ms} ms.`,
        ]
      : []),
    ...(mode.relayDrain
      ? [
          '',
          `Relay to the in-process broker: ${mode.relayDrain.events} events recorded at once, drained at` +
            ` ${mode.relayDrain.eventsPerSecond} events/s (lag p50 ${mode.relayDrain.p50LagMs} ms, p99 ${mode.relayDrain.p99LagMs} ms,` +
            ' the backlog included). Kafka: not measured here (no broker on this machine; set KAFKA_BROKERS and run the worker).',
        ]
      : []),
  ];
}

/** A horizontal bar per scenario and mode, requests per second on a shared scale. */
function chart(results: BenchResults): string {
  const bars: { label: string; value: number }[] = [];
  for (const mode of results.modes) {
    for (const key of Object.keys(SCENARIO_TITLES) as (keyof ModeResults['scenarios'])[]) {
      const t = mode.scenarios[key];
      if (t) bars.push({ label: `${mode.mode}: ${SCENARIO_TITLES[key]}`, value: t.requestsPerSecond });
    }
  }
  if (results.references) {
    bars.push({
      label: 'reference: node-postgres, same INSERTs',
      value: results.references.nodePostgres.requestsPerSecond,
    });
    if (results.references.pgbench) {
      bars.push({ label: 'reference: pgbench, same INSERTs', value: results.references.pgbench.transactionsPerSecond });
    }
  }
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const labelWidth = 430;
  const barWidth = 360;
  const rowHeight = 22;
  const height = bars.length * rowHeight + 40;
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = bars.map((bar, index) => {
    const y = 30 + index * rowHeight;
    const width = Math.max(1, Math.round((bar.value / max) * barWidth));
    const colour = bar.label.startsWith('reference')
      ? '#888'
      : bar.label.startsWith('embedded')
        ? '#d98c1f'
        : '#2f6db3';
    return (
      `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${escape(bar.label)}</text>` +
      `<rect x="${labelWidth}" y="${y}" width="${width}" height="${rowHeight - 6}" fill="${colour}"/>` +
      `<text x="${labelWidth + width + 6}" y="${y + 14}">${bar.value}/s</text>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 90}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="8" y="18" font-weight="bold">Throughput, requests or transactions per second (${results.machine.cpu})</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}

export function renderReport(results: BenchResults): { markdown: string; svg: string } {
  const m = results.machine;
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (scripts/bench); do not edit by hand. -->',
    '',
    `Last run ${results.ranAt}, ${results.durationSeconds ?? '?'} s in all, on ${m.cpu}, ${m.memoryGiB} GiB, ${m.os};` +
      ` Node ${m.node}, ${m.postgres}, ${m.redis}. Closed-loop measurements: ${results.settings.connections} requests in` +
      ` flight for ${results.settings.seconds} s after a warm-up, the api as its own process (OpenTelemetry on, no exporter;` +
      ` rate limits on, out of the way; NODE_ENV=production), the load generator (autocannon) on the same machine.` +
      ' On PostgreSQL the HTTP scenarios run on an api that only records events, as api instances do when a worker' +
      ' relays through Kafka; the relay and saga scenarios on an api that places orders and a worker that relays them to' +
      ' its in-process broker and runs the consumers and the saga (two processes, one core each). Embedded,' +
      ' one process does everything, so its POST /orders pays for the saga of the orders it places.',
    '',
    '![Throughput](benchmarks/throughput.svg)',
    '',
  ];
  for (const mode of results.modes) {
    lines.push(`## ${mode.mode === 'postgres' ? 'PostgreSQL and Redis' : 'Embedded (PGlite, L1 only)'}`, '');
    lines.push(...httpTable(mode, results), ...sagaLines(mode), '');
  }
  if (results.references) {
    const r = results.references;
    lines.push(
      '## References',
      '',
      `The database ceiling of a placement: the order, its line and its outbox event inserted in one transaction, on a database of their own.`,
      '',
      `- node-postgres, ${results.settings.connections} workers over ${results.settings.poolSize} connections: ${r.nodePostgres.requestsPerSecond}/s, p50 ${r.nodePostgres.p50Ms} ms, p99 ${r.nodePostgres.p99Ms} ms.`,
      r.pgbench
        ? `- pgbench, ${results.settings.poolSize} clients: ${r.pgbench.transactionsPerSecond} tps, mean latency ${r.pgbench.meanLatencyMs} ms. The project's target: POST /orders at one third of it or more.`
        : '- pgbench: not run (see the log).',
      '',
    );
  }
  lines.push(
    'Raw figures: [benchmarks/results.json](benchmarks/results.json). How it is measured: [scripts/bench/README.md](../scripts/bench/README.md).',
    '',
  );
  return { markdown: lines.join('\n'), svg: chart(results) };
}
