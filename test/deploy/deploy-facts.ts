/**
 * What the checks of the deployment files share: the repository's facts they must agree with (Node major,
 * the bundles the Nest CLI builds), a Dockerfile parser, and the metric series the apps export.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const readRepoFile = (file: string): string => readFileSync(path.resolve(__dirname, '../..', file), 'utf8');

export type Dict = Record<string, unknown>;
export const isDict = (value: unknown): value is Dict =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
export const asDict = (value: unknown): Dict => (isDict(value) ? value : {});

export type RepoFacts = ReturnType<typeof readRepoFacts>;

export function readRepoFacts() {
  // The Node major of .nvmrc ("24") and of package.json engines.node (">=24.11 <25": its lower bound).
  const major = (version: unknown) => Number(/\d+/.exec(String(version))?.[0]);
  const engines = asDict(asDict(JSON.parse(readRepoFile('package.json'))).engines).node;
  // Bundle -> Nest CLI application: webpack writes each to dist/<root>/<entryFile>.js (dist/apps/api/main.js).
  const nestCli = asDict(JSON.parse(readRepoFile('nest-cli.json')));
  const bundles = new Map<string, string>();
  for (const [name, project] of Object.entries(asDict(nestCli.projects))) {
    const { type, root, entryFile } = asDict(project);
    if (type === 'application') bundles.set(`dist/${String(root)}/${String(entryFile)}.js`, name);
  }
  return { nodeMajors: { nvmrc: major(readRepoFile('.nvmrc')), engines: major(engines) }, bundles };
}

export interface Stage {
  from: string;
  name: string | undefined;
  parent: Stage | undefined; // the earlier stage it is built on (FROM <stage>), whose instructions it inherits
  instructions: Array<{ keyword: string; args: string }>;
}

/** Splits a Dockerfile into stages of instructions: comments dropped, "\" continuations joined. */
export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  const joined = text.replace(/^\s*#.*$/gm, '').replace(/\\[ \t]*\n/g, ' ');
  for (const [, keyword = '', args = ''] of joined.split('\n').map((line) => /^\s*(\S+)\s*(.*)$/.exec(line) ?? [])) {
    if (keyword.toUpperCase() === 'FROM') {
      const [from = '', as, name] = args.split(/\s+/).filter((token) => !token.startsWith('--'));
      const parent = stages.find((stage) => stage.name === from);
      stages.push({ from, name: as?.toLowerCase() === 'as' ? name : undefined, parent, instructions: [] });
    } else if (keyword !== '') {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args: args.trim() });
    }
  }
  return stages;
}

/** The arguments of a stage's instructions of one kind, its parents' first. */
export const argsOf = (stage: Stage | undefined, keyword: string): string[] =>
  stage
    ? [...argsOf(stage.parent, keyword), ...stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args)]
    : [];

/** The shell commands a stage runs (its RUN instructions split at &&, || and ;). */
export const commandsOf = (stage: Stage): string[] =>
  argsOf(stage, 'RUN').flatMap((run) => run.split(/&&|\|\||;/).map((command) => command.trim()));

/**
 * The series the apps export, as OpenTelemetry's Prometheus exporter names them: dots become underscores,
 * monotonic counters end in _total, histograms give _bucket, _count and _sum (units are not appended).
 * A dashboard query naming anything else shows "No data" forever.
 */
export const histogram = (name: string) => [`${name}_bucket`, `${name}_count`, `${name}_sum`];
export const METRICS = new Set([
  ...histogram('http_server_request_duration'),
  ...['orders_placed_total', 'orders_confirmed_total', 'orders_cancelled_total', ...histogram('fulfilment_duration')],
  ...['outbox_pending', 'outbox_oldest_pending_age', 'outbox_dead_letters', 'inbox_dead_letters'],
  ...['cache_hits_total', 'cache_misses_total', 'cache_errors_total', 'cache_loaded_total', 'cache_bypassed_total'],
  ...['cache_stale_served_total', 'cache_refreshes_total', 'cache_discarded_total', 'cache_invalidations_total'],
  ...histogram('cache_duration'),
  ...['breaker_state', 'breaker_transitions_total'],
  'up', // Prometheus's own, per target
]);

/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers, ranges and
 * `by (...)` lists are removed, less function names (followed by "(") and keywords.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}|\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const keywords = /^(and|or|unless|bool|offset|inf|nan)$/i;
  return [...bare.matchAll(/(?<![\w.:$])[A-Za-z_:][\w:]*(?!\s*\(|\w)/g)]
    .map(([name]) => name)
    .filter((name) => !keywords.test(name));
}

export const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
