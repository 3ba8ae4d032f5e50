import type { InvariantResult } from './invariants';

export interface FaultRecord {
  /** Seconds after placement began. */
  atSeconds: number;
  fault: string;
  detail: string;
}

export interface ChaosResults {
  ranAt: string;
  seed: number;
  machine: string;
  orders: { accepted: number; refused: Record<string, number>; perSecond: number; placedInSeconds: number };
  /** From the end of placement until every order was final; null: some never were. */
  settledInSeconds: number | null;
  totalSeconds: number;
  outcomes: Record<string, number>;
  /** Worker processes running at once, and how many were started in all. */
  workers: number;
  workerIncarnations: number;
  faults: FaultRecord[];
  invariants: InvariantResult[];
}

/** The "last results" section of docs/reliability.md, from one run. */
export function renderChaosResults(results: ChaosResults): string {
  const refused = Object.entries(results.orders.refused)
    .map(([status, count]) => `${count} × ${status}`)
    .join(', ');
  return [
    `Last run: ${results.ranAt.slice(0, 16).replace('T', ' ')} UTC, seed ${results.seed} (\`CHAOS_SEED=${results.seed} npm run chaos\` replays its orders and fault moments), on ${results.machine}; ${results.totalSeconds} s in all.`,
    '',
    `- ${results.orders.accepted} orders accepted at ${results.orders.perSecond}/s in ${results.orders.placedInSeconds} s${refused ? ` (refused on the way: ${refused})` : ''}; ` +
      (results.settledInSeconds === null
        ? 'some never became final.'
        : `all final ${results.settledInSeconds} s after the last one was placed.`),
    `- Outcomes: ${Object.entries(results.outcomes)
      .map(([outcome, count]) => `${outcome} ${count}`)
      .join(', ')}.`,
    `- ${results.workers} worker(s) at a time, ${results.workerIncarnations} started in all (each SIGKILL is followed by a new one).`,
    '',
    '| invariant | result | found |',
    '| --- | --- | --- |',
    ...results.invariants.map(
      (invariant) =>
        `| ${invariant.name} | ${invariant.holds ? 'holds' : '**broken**'} | ${invariant.detail.replaceAll('|', '\\|')} |`,
    ),
    '',
    '| at (s) | fault | what |',
    '| --- | --- | --- |',
    ...results.faults.map((fault) => `| ${fault.atSeconds} | ${fault.fault} | ${fault.detail} |`),
  ].join('\n');
}
