import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyMigrations, PostgresConnection } from '@platform/database';
import { type GenerateOptions, GenerationRefused, planModule } from '../../scripts/generate-module/module-generator';
import { moduleNames } from '../../scripts/generate-module/names';
import { freePort } from '../support/app-process';
import { testIssuer } from '../support/test-issuer';
import { ADMIN_DATABASE_URL, createTestDatabase, queryDatabase, type TestDatabase } from '../support/test-database';
import { checkBoundaries, listImports } from './boundary-rules';

/**
 * `npm run generate:module` (scripts/generate-module) scaffolds a bounded context. This generates
 * two, `shipping --aggregate shipment` and `gift-cards` (a hyphen, the default aggregate), in a
 * copy of the repository and holds them to what the existing modules are held to: the boundary
 * rules, the type check, ESLint and Prettier, their own specs and the architecture specs (the
 * generated documents included, after `npm run docs`), their migrations on a fresh PostgreSQL
 * database through the repository's runner, their role, and the api serving their route. It also
 * proves that a refused name writes nothing. Everything runs once, in beforeAll, mostly in parallel;
 * each test then reads one outcome.
 */

const repoRoot = path.resolve(__dirname, '../..');
/** Top-level entries left out of the copy; node_modules is linked instead. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', '.data', 'coverage']);
const SHIPPING = moduleNames('shipping', 'shipment');
const GIFT_CARDS = moduleNames('gift-cards', 'example');
const MODULES = [SHIPPING, GIFT_CARDS];

interface Run {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command in the copy, with the test's node (the repository's Node 24) unless another program is named. */
function run(
  cwd: string,
  args: string[],
  options: { program?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', ...options.env };
  delete env.JEST_WORKER_ID;
  return new Promise((resolve, reject) => {
    const child = spawn(options.program ?? process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ args, code, stdout, stderr }));
  });
}

const generator = (cwd: string, ...args: string[]) =>
  run(cwd, ['-r', '@swc-node/register', 'scripts/generate-module/generate-module.ts', ...args]);

/** What a run printed, for a failure message. */
const transcript = (r: Run) => `$ ${r.args.join(' ')}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`;

/** Every file of the copy (node_modules left out) with a hash of its content. */
function snapshot(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (rel === 'node_modules' || rel === 'dist') continue;
      if (entry.isDirectory()) walk(rel);
      else
        files.set(
          rel,
          createHash('sha1')
            .update(fs.readFileSync(path.join(root, rel)))
            .digest('hex'),
        );
    }
  };
  walk('');
  return files;
}

/** A step's outcome: its value, or the error that stopped it (reported by the test that reads it). */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(work: Promise<T>): Promise<Outcome<T>> =>
  work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
function valueOf<T>(outcome: Outcome<T> | undefined): T {
  if (!outcome) throw new Error('this step did not run: see the error of beforeAll');
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

interface ApiChecks {
  anonymous: { status: number };
  missing: { status: number; type: string };
  tooLong: { status: number };
  found: { status: number; body: unknown };
  giftCardsMissing: { status: number };
  documentedPaths: string[];
}

interface DatabaseChecks {
  tables: Array<{ schema: string; table: string }>;
  roles: string[];
  currentUser: string;
  addedTwice: [boolean, boolean];
  view: unknown;
  blankName: string;
  otherModule: string;
}

describe('npm run generate:module', () => {
  let copy: string;
  let first: Run;
  let second: Run;
  let refusals: Run[];
  let dryRun: Run;
  let unchanged: { before: Map<string, string>; after: Map<string, string> };
  let written: Map<string, string>;
  let database: TestDatabase | undefined;
  let connection: PostgresConnection | undefined;
  let api: ChildProcess | undefined;
  const outcomes: {
    clients?: Outcome<Run[]>;
    migrations?: Outcome<string[]>;
    database?: Outcome<DatabaseChecks>;
    tsc?: Outcome<Run>;
    eslint?: Outcome<Run>;
    prettier?: Outcome<Run>;
    docs?: Outcome<Run>;
    jest?: Outcome<{ run: Run; results: JestResults }>;
    api?: Outcome<ApiChecks>;
  } = {};

  beforeAll(async () => {
    copy = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nest-modulith-generate-module-')));
    fs.cpSync(repoRoot, copy, {
      recursive: true,
      filter: (source) => !NOT_COPIED.has(path.relative(repoRoot, source).split(path.sep)[0]!),
    });
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    const original = snapshot(copy);

    // As a developer types it (through package.json's script), then a second module next to it.
    first = await run(copy, ['run', '--silent', 'generate:module', '--', 'shipping', '--aggregate', 'shipment'], {
      program: 'npm',
    });
    second = await generator(copy, 'gift-cards');
    unchanged = { before: snapshot(copy), after: new Map() };
    written = new Map([...unchanged.before].filter(([file, hash]) => original.get(file) !== hash));

    // A module generated twice, bad input and a dry run, through the command: none may change a file.
    [dryRun, ...refusals] = await Promise.all([
      generator(copy, 'returns', '--dry-run'),
      generator(copy, 'shipping', '--aggregate', 'shipment'),
      generator(copy, 'returns', '--frobnicate'),
      generator(copy, 'returns', 'refunds'),
    ]);
    unchanged.after = snapshot(copy);

    // The next steps it prints: the clients, offline as scripts/prisma-generate.cjs runs prisma (no schema engine).
    const prismaEnv = {
      PRISMA_SCHEMA_ENGINE_BINARY: path.join(copy, 'scripts', 'no-schema-engine.sh'),
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    };
    const prismaGenerate = (schema: string) =>
      run(copy, ['node_modules/prisma/build/index.js', 'generate', '--schema', `prisma/${schema}/schema.prisma`], {
        env: prismaEnv,
      });
    outcomes.clients = await settle(Promise.all(MODULES.map((n) => prismaGenerate(n.schema))));

    database = await createTestDatabase();
    connection = PostgresConnection.open(database.url, 4, 'generate-module-test');
    const applied: string[] = [];
    outcomes.migrations = await settle(
      applyMigrations(connection, path.join(copy, 'prisma'), { log: (m) => applied.push(m) }).then(() => applied),
    );

    const [tsc, eslint, prettierCheck, docsAndJest, apiAndDatabase] = await Promise.all([
      settle(run(copy, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit', '--pretty', 'false'])),
      settle(run(copy, ['node_modules/eslint/bin/eslint.js', '--max-warnings', '0', ...writtenSources()])),
      settle(run(copy, ['node_modules/prettier/bin/prettier.cjs', '--check', ...writtenFormatted()])),
      docsThenJest(),
      apiThenDatabase(),
    ]);
    Object.assign(outcomes, { tsc, eslint, prettier: prettierCheck, ...docsAndJest, ...apiAndDatabase });
  }, 180_000);

  afterAll(async () => {
    api?.kill('SIGKILL');
    await connection?.close();
    await database?.drop();
    // Roles outlive databases (prisma/README.md, "Data ownership"); these two belong to no real module. A role
    // another database still uses (a concurrent run of this test) cannot be dropped, and is left to that run.
    for (const n of MODULES) {
      await queryDatabase(ADMIN_DATABASE_URL, `DROP ROLE IF EXISTS "${n.role}"`).catch(() => undefined);
    }
    if (copy) {
      fs.rmSync(path.join(copy, 'node_modules'), { force: true }); // the link, not what it points to
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }, 30_000);

  /** The generated .ts files and the edited apps, for ESLint. */
  function writtenSources(): string[] {
    return [...written.keys()].filter((file) => file.endsWith('.ts')).sort();
  }

  /** Every written file Prettier formats (migrations and schema.prisma it does not know). */
  function writtenFormatted(): string[] {
    return [...written.keys()].filter((file) => /\.(ts|json|md)$/.test(file)).sort();
  }

  async function docsThenJest(): Promise<Pick<typeof outcomes, 'docs' | 'jest'>> {
    const docs = await settle(run(copy, ['-r', '@swc-node/register', 'scripts/docs/generate-docs.ts']));
    const resultsFile = path.join(copy, 'jest-results.json');
    const jest = await settle(
      run(copy, [
        '--experimental-vm-modules',
        '--disable-warning=ExperimentalWarning',
        'node_modules/jest/bin/jest.js',
        '--rootDir',
        copy,
        // Not this spec itself, in the copy (the pattern is matched against absolute paths).
        '--testPathIgnorePatterns=test/architecture/generate-module\\.spec\\.ts$',
        '--ci',
        '--json',
        `--outputFile=${resultsFile}`,
        ...MODULES.map((n) => `libs/${n.module}/`),
        'test/architecture/module-boundaries.spec.ts',
        'test/architecture/generated-docs.spec.ts',
      ]).then((r) => ({
        run: r,
        results: (fs.existsSync(resultsFile)
          ? JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
          : { testResults: [] }) as JestResults,
      })),
    );
    return { docs, jest };
  }

  /**
   * The api of the copy as a process on the migrated database: the sample route answers 404, then
   * 200 once the module's own repository (as the module's role) added the row.
   */
  async function apiThenDatabase(): Promise<Pick<typeof outcomes, 'api' | 'database'>> {
    if (!outcomes.migrations?.ok || !outcomes.clients?.ok) return {};
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const issuer = await testIssuer();
    let output = '';
    api = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
      cwd: copy,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATABASE_URL: database!.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        // As in the other process tests: on a machine busy with other suites, a freshly started api
        // compiling on the fly lags, and shedding on that lag is tested on purpose only.
        LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
        ...issuer.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    api.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const stopped = new Promise<void>((resolve) => api!.once('exit', () => resolve()));

    const token = issuer.tokenFor('generated-module-reader');
    const get = (route: string) => fetch(`${url}${route}`, { headers: { authorization: `Bearer ${token}` } });
    const before = await settle(
      (async () => {
        await waitUntilLive(url, stopped, () => output);
        const anonymous = await fetch(`${url}/shipping/shipments/shipment-1`);
        const missing = await get('/shipping/shipments/shipment-1');
        const missingType = ((await missing.json()) as { type: string }).type;
        const tooLong = await get(`/shipping/shipments/${'x'.repeat(65)}`);
        return {
          anonymous: { status: anonymous.status },
          missing: { status: missing.status, type: missingType },
          tooLong: { status: tooLong.status },
        };
      })(),
    );
    const databaseOutcome = await settle(databaseChecks()); // adds shipment-1
    const apiOutcome: Outcome<ApiChecks> = !before.ok
      ? before
      : await settle(
          (async () => {
            const found = await get('/shipping/shipments/shipment-1');
            const giftCardsMissing = await get('/gift-cards/examples/example-1');
            const openApi = (await (await get('/docs-json')).json()) as { paths: Record<string, unknown> };
            return {
              ...before.value,
              found: { status: found.status, body: (await found.json()) as unknown },
              giftCardsMissing: { status: giftCardsMissing.status },
              documentedPaths: Object.keys(openApi.paths),
            };
          })(),
        );
    api.kill('SIGTERM');
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    return { database: databaseOutcome, api: apiOutcome };
  }

  /** The shipping module's own code, loaded from the copy, on the migrated database. */
  async function databaseChecks(): Promise<DatabaseChecks> {
    const persistence = path.join(copy, 'libs/shipping/src/infrastructure/persistence');
    /* eslint-disable @typescript-eslint/no-require-imports -- the module exists in the copy only, so it is loaded by path */
    const { PrismaClient } = require(path.join(persistence, 'generated/client.ts')) as {
      PrismaClient: new (options: { adapter: unknown }) => ShippingClient;
    };
    const { PrismaShipmentRepository } = require(path.join(persistence, 'prisma-shipment.repository.ts')) as {
      PrismaShipmentRepository: new (client: ShippingClient) => {
        add(shipment: unknown): Promise<boolean>;
        findView(id: string): Promise<unknown>;
      };
    };
    const { Shipment } = require(path.join(copy, 'libs/shipping/src/domain/shipment.ts')) as {
      Shipment: { create(state: { id: string; name: string }): unknown };
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const client = new PrismaClient({ adapter: connection!.prismaAdapter('shipping') });
    try {
      const repository = new PrismaShipmentRepository(client);
      const [{ user }] = await client.$queryRawUnsafe<[{ user: string }]>('SELECT current_user AS "user"');
      const addedTwice: [boolean, boolean] = [
        await repository.add(Shipment.create({ id: 'shipment-1', name: ' First ' })),
        await repository.add(Shipment.create({ id: 'shipment-1', name: 'Again' })),
      ];
      const failure = (sql: string) =>
        client.$queryRawUnsafe(sql).then(
          () => 'succeeded',
          (error: Error) => error.message,
        );
      return {
        tables: await queryDatabase<{ schema: string; table: string }>(
          database!.url,
          `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
           WHERE table_schema = ANY($1) ORDER BY 1, 2`,
          [MODULES.map((n) => n.schema)],
        ),
        roles: (
          await queryDatabase<{ rolname: string }>(
            database!.url,
            'SELECT rolname FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1',
            [MODULES.map((n) => n.role)],
          )
        ).map((row) => row.rolname),
        currentUser: user,
        addedTwice,
        view: await repository.findView('shipment-1'),
        blankName: await failure(`INSERT INTO "shipping"."shipments" (id, name) VALUES ('blank', '  ')`),
        otherModule: await failure('SELECT count(*) FROM "catalog"."products"'),
      };
    } finally {
      await client.$disconnect();
    }
  }

  describe('generating shipping and gift-cards', () => {
    it('exits 0, lists what it created and changed, and prints the next steps', () => {
      for (const r of [first, second]) {
        expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      }
      expect(first.stdout).toContain("Generated the bounded context 'shipping': schema shipping");
      expect(first.stdout).toContain('created libs/shipping/src/index.ts');
      expect(first.stdout).toMatch(/changed apps\/api\/src\/app\.module\.ts +imports ShippingModule/);
      expect(first.stdout).toMatch(/Next steps:[\s\S]*npm run prisma:generate[\s\S]*npm run docs[\s\S]*npm test/);
      expect(second.stdout).toContain("'gift-cards': schema gift_cards, role nest_modulith_gift_cards");
    });

    it('writes the module, its layers, its data, and registers it', () => {
      const migrations = (n: typeof SHIPPING) =>
        [...written.keys()]
          .filter((f) => f.startsWith(`prisma/${n.schema}/migrations/`))
          .map((f) => f.split('/')[3]!.replace(/^\d{14}_/, ''))
          .sort();
      expect(migrations(SHIPPING)).toEqual(['create_inbox', 'create_module_role', 'create_outbox', 'create_shipping']);
      expect(migrations(GIFT_CARDS)).toEqual([
        'create_gift_cards',
        'create_inbox',
        'create_module_role',
        'create_outbox',
      ]);
      expect([...written.keys()].filter((f) => f.startsWith('libs/shipping/')).sort()).toEqual([
        'libs/shipping/README.md',
        'libs/shipping/src/api/shipment.dto.ts',
        'libs/shipping/src/api/shipments.http.controller.ts',
        'libs/shipping/src/application/find-shipment/find-shipment.handler.spec.ts',
        'libs/shipping/src/application/find-shipment/find-shipment.handler.ts',
        'libs/shipping/src/application/find-shipment/find-shipment.query.ts',
        'libs/shipping/src/application/shipment-repository.ts',
        'libs/shipping/src/application/shipment.view.ts',
        'libs/shipping/src/application/shipping.facade.ts',
        'libs/shipping/src/contracts/README.md',
        'libs/shipping/src/contracts/shipment-created.v1.ts',
        'libs/shipping/src/domain/rules/shipment-name-must-not-be-blank.rule.spec.ts',
        'libs/shipping/src/domain/rules/shipment-name-must-not-be-blank.rule.ts',
        'libs/shipping/src/domain/shipment.spec.ts',
        'libs/shipping/src/domain/shipment.ts',
        'libs/shipping/src/index.ts',
        'libs/shipping/src/infrastructure/persistence/prisma-shipment.repository.ts',
        'libs/shipping/src/infrastructure/persistence/shipping-prisma.module.ts',
        'libs/shipping/src/shipping.module.ts',
      ]);
      expect([...written.keys()].filter((f) => !/^(libs|prisma)\//.test(f)).sort()).toEqual([
        'apps/api/src/app.module.ts',
        'apps/worker/src/worker.module.ts',
        'nest-cli.json',
        'tsconfig.json',
      ]);
      const read = (file: string) => fs.readFileSync(path.join(copy, file), 'utf8');
      const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { paths: Record<string, string[]> } };
      expect(tsconfig.compilerOptions.paths).toMatchObject({
        '@modulith/shipping': ['./libs/shipping/src'],
        '@modulith/gift-cards': ['./libs/gift-cards/src'],
      });
      const schema = read('prisma/gift_cards/schema.prisma');
      expect(schema).toContain('schemas  = ["gift_cards"]');
      expect(schema).toContain(
        'output              = "../../libs/gift-cards/src/infrastructure/persistence/generated"',
      );
      expect(read('libs/shipping/src/infrastructure/persistence/shipping-prisma.module.ts')).toContain(
        "providePrismaClient(PrismaClient, (options) => new PrismaClient(options), { schema: 'shipping' })",
      );
      expect(read('libs/shipping/src/contracts/shipment-created.v1.ts')).toContain(
        "defineEvent(\n  'shipping.shipment-created.v1',",
      );
    });

    it('copies the role migration from prisma/README.md, as the data-ownership test looks for it', () => {
      const readme = fs.readFileSync(path.join(repoRoot, 'prisma/README.md'), 'utf8');
      const template = /## Data ownership[\s\S]*?```sql\n([\s\S]*?)```/.exec(readme)![1]!;
      for (const n of MODULES) {
        const [role] = [...written.keys()].filter((f) => f.startsWith(`prisma/${n.schema}/`) && f.includes('role'));
        expect(fs.readFileSync(path.join(copy, role!), 'utf8')).toContain(template.replaceAll('<schema>', n.schema));
      }
    });
  });

  describe('refusals', () => {
    it('refuses a second run and bad options with exit 1, the reason and the usage', () => {
      const expected = [
        /libs\/shipping exists.*tsconfig\.json already maps @modulith\/shipping/,
        /unknown option --frobnicate/,
        /one module at a time/,
      ];
      expect(refusals).toHaveLength(expected.length);
      refusals.forEach((r, i) => {
        expect({ run: transcript(r), code: r.code, stdout: r.stdout }).toEqual({
          run: transcript(r),
          code: 1,
          stdout: '',
        });
        expect(r.stderr).toMatch(expected[i]!);
        expect(r.stderr).toContain('Usage: npm run generate:module');
      });
    });

    it.each<[string, GenerateOptions, RegExp]>([
      ['no name', { name: undefined }, /give the name of the module/],
      ['uppercase', { name: 'Shipping' }, /'Shipping' is not a module name/],
      ['an underscore', { name: 'gift_cards' }, /'gift_cards' is not a module name/],
      ['a leading digit', { name: '2fast' }, /'2fast' is not a module name/],
      ['a double hyphen', { name: 'gift--cards' }, /'gift--cards' is not a module name/],
      ['too long for its role', { name: 'a'.repeat(41) }, /longer than 40 characters/],
      ['the platform', { name: 'platform' }, /'platform' is reserved/],
      ['an app', { name: 'worker' }, /'worker' is reserved/],
      ['an existing module', { name: 'catalog' }, /libs\/catalog exists/],
      ['a platform lib', { name: 'config' }, /'config' is a platform lib/],
      ["PostgreSQL's pg_ prefix", { name: 'pg-stats' }, /PostgreSQL reserves schema names starting with pg_/],
      ['a bad aggregate', { name: 'returns', aggregate: 'Return_Item' }, /'Return_Item' is not an aggregate name/],
    ])('refuses %s, writing nothing', async (_case, options, message) => {
      await expect(planModule(copy, options)).rejects.toThrow(message);
      await expect(planModule(copy, options)).rejects.toBeInstanceOf(GenerationRefused);
    });

    it('changes no file when it refuses, nor on a dry run (which says what it would write)', () => {
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toContain('would create libs/returns/src/returns.module.ts');
      expect(dryRun.stdout).toContain('would change tsconfig.json');
      const changed = [...new Set([...unchanged.before.keys(), ...unchanged.after.keys()])].filter(
        (file) => unchanged.before.get(file) !== unchanged.after.get(file),
      );
      expect(changed).toEqual([]);
    });
  });

  describe('the generated modules follow every convention', () => {
    it('keep the module boundaries, and the apps reach them through their index', () => {
      expect(checkBoundaries(copy).map((v) => v.message)).toEqual([]);
      const appImports = listImports(copy).filter((i) => i.file === 'apps/api/src/app.module.ts');
      expect(appImports).toEqual(
        expect.arrayContaining(
          MODULES.map((n) =>
            expect.objectContaining({ specifier: n.alias, target: `libs/${n.module}/src/index.ts`, viaAlias: true }),
          ),
        ),
      );
    });

    it('get their Prisma clients generated offline', () => {
      for (const r of valueOf(outcomes.clients))
        expect({ run: transcript(r), code: r.code }).toMatchObject({ code: 0 });
      for (const n of MODULES) {
        expect(
          fs.existsSync(path.join(copy, `libs/${n.module}/src/infrastructure/persistence/generated/client.ts`)),
        ).toBe(true);
      }
    });

    it('type-check with the whole repository (tsc --noEmit)', () => {
      const r = valueOf(outcomes.tsc);
      expect({ code: r.code, output: r.stdout + r.stderr }).toEqual({ code: 0, output: '' });
    });

    it('pass ESLint (the boundary lint included) and Prettier', () => {
      for (const r of [valueOf(outcomes.eslint), valueOf(outcomes.prettier)]) {
        expect({ run: transcript(r), code: r.code }).toMatchObject({ code: 0 });
      }
    });

    it('pass their own specs, and the architecture specs once `npm run docs` ran', () => {
      expect(valueOf(outcomes.docs).code).toBe(0);
      const { run: r, results } = valueOf(outcomes.jest);
      const suites = results.testResults.map((s) => ({
        file: path.relative(copy, s.name).split(path.sep).join('/'),
        status: s.status,
        failures: s.assertionResults.filter((a) => a.status !== 'passed').map((a) => a.fullName),
      }));
      const passed = (file: string) => ({ file, status: 'passed', failures: [] });
      expect({ code: r.code, output: r.code === 0 ? '' : transcript(r) }).toEqual({ code: 0, output: '' });
      expect(suites.sort((a, b) => a.file.localeCompare(b.file))).toEqual(
        [
          ...MODULES.flatMap((n) => {
            const a = n.aggregate.kebab;
            return [
              `libs/${n.module}/src/application/find-${a}/find-${a}.handler.spec.ts`,
              `libs/${n.module}/src/domain/${a}.spec.ts`,
              `libs/${n.module}/src/domain/rules/${a}-name-must-not-be-blank.rule.spec.ts`,
            ];
          }),
          'test/architecture/generated-docs.spec.ts',
          'test/architecture/module-boundaries.spec.ts',
        ]
          .sort()
          .map(passed),
      );
      const catalog = fs.readFileSync(path.join(copy, 'docs/modules.md'), 'utf8');
      expect(catalog).toContain('## shipping');
      expect(catalog).toContain('## gift-cards');
      expect(fs.readFileSync(path.join(copy, 'docs/asyncapi.yaml'), 'utf8')).toContain('shipping.shipment-created.v1');
    });
  });

  describe('their data, on a fresh PostgreSQL database', () => {
    it("apply with the repository's migration runner, after the existing modules'", () => {
      const applied = valueOf(outcomes.migrations);
      for (const n of MODULES) {
        const own = applied.filter((line) => line.startsWith(`Applied migration ${n.schema}/`));
        expect(own.map((line) => line.replace(/^.*\/\d{14}_/, ''))).toEqual([
          `create_${n.schema}`,
          'create_outbox',
          'create_inbox',
          'create_module_role',
        ]);
      }
      expect(applied.some((line) => line.startsWith('Applied migration catalog/'))).toBe(true);
    });

    it('own their schema: sample table, outbox and inbox tables, and a role that may use nothing else', () => {
      const checks = valueOf(outcomes.database);
      expect(checks.tables).toEqual(
        MODULES.flatMap((n) =>
          ['_prisma_migrations', n.aggregate.plural.snake, 'inbox', 'inbox_dead_letters', 'outbox']
            .sort()
            .map((table) => ({ schema: n.schema, table })),
        ).sort((a, b) => a.schema.localeCompare(b.schema) || a.table.localeCompare(b.table)),
      );
      expect(checks.roles).toEqual(MODULES.map((n) => n.role).sort());
      expect(checks.currentUser).toBe('nest_modulith_shipping');
      expect(checks.otherModule).toContain('permission denied for schema catalog');
    });

    it("store and read the sample aggregate through the module's repository; the table holds the rule too", () => {
      const checks = valueOf(outcomes.database);
      expect(checks.addedTwice).toEqual([true, false]);
      expect(checks.view).toEqual({ id: 'shipment-1', name: 'First' });
      expect(checks.blankName).toContain('shipments_name_not_blank');
    });

    it('are served by the api: the sample route, closed to anonymous callers, answers 404, 400, then the stored shipment', () => {
      const checks = valueOf(outcomes.api);
      expect(checks).toEqual({
        anonymous: { status: 401 },
        missing: { status: 404, type: '/problems/not-found' },
        tooLong: { status: 400 },
        found: { status: 200, body: { id: 'shipment-1', name: 'First' } },
        giftCardsMissing: { status: 404 },
        documentedPaths: expect.arrayContaining(['/shipping/shipments/{id}', '/gift-cards/examples/{id}']),
      });
    });
  });
});

/** The parts of jest's --json output read above. */
interface JestResults {
  testResults: Array<{ name: string; status: string; assertionResults: Array<{ fullName: string; status: string }> }>;
}

/** What the shipping module's generated client is used for here. */
interface ShippingClient {
  $queryRawUnsafe<T = unknown>(query: string): Promise<T>;
  $disconnect(): Promise<void>;
}

async function waitUntilLive(url: string, stopped: Promise<void>, output: () => string): Promise<void> {
  let exited = false;
  void stopped.then(() => (exited = true));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the api of the copy exited before it was ready:\n${output()}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the api of the copy was not ready within 90 s:\n${output()}`);
}
