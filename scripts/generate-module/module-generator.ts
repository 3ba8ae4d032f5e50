import * as fs from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { type ModuleNames, moduleNames, problemWithAggregateName, problemWithModuleName } from './names';
import { addJsonProperty, addNestModuleImport, type EditResult } from './repository-edits';
import { databaseFiles, migrationNames } from './templates/database';
import { moduleSource, sourceNames, type TemplateFile } from './templates/module-source';
import { moduleReadme } from './templates/readme';

/**
 * Plans a new bounded context (every file and edit, formatted, in memory), then writes it. Nothing
 * is written unless the whole plan could be made: a refused name or a failed template leaves the
 * repository as it was, and so does a failed write (what was written is taken back).
 */

export interface GenerateOptions {
  name: string | undefined;
  /** The sample aggregate's name, kebab-case and singular; `example` when not given. */
  aggregate?: string;
  /** Leave the apps alone (the step is printed instead). */
  register?: boolean;
  /** The migrations' timestamp; now when not given. */
  now?: Date;
}

/** Bad input: the message says what to do; the command exits 1 having written nothing. */
export class GenerationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenerationRefused';
  }
}

export interface FileEdit {
  path: string;
  /** What changes, for the report. */
  change: string;
  before: string;
  after: string;
}

export interface Plan {
  names: ModuleNames;
  files: TemplateFile[];
  edits: FileEdit[];
  /** Steps the generator could not take itself (an app whose root module has an unexpected shape). */
  manualSteps: string[];
  nextSteps: string[];
}

/** The apps whose root module imports every bounded context. */
export const APP_MODULES = ['apps/api/src/app.module.ts', 'apps/worker/src/worker.module.ts'];

export async function planModule(root: string, options: GenerateOptions): Promise<Plan> {
  const problem = problemWithModuleName(options.name);
  if (problem) throw new GenerationRefused(problem);
  const name = options.name!;
  const aggregate = options.aggregate ?? 'example';
  const aggregateProblem = problemWithAggregateName(aggregate);
  if (aggregateProblem) throw new GenerationRefused(aggregateProblem);
  const n = moduleNames(name, aggregate);
  refuseExisting(root, n);

  const now = options.now ?? new Date();
  const files = [...moduleSource(n), moduleReadme(n, migrationNames(n, now)), ...databaseFiles(root, n, now)];
  const taken = files.filter((f) => fs.existsSync(path.join(root, f.path)));
  if (taken.length > 0)
    throw new GenerationRefused(`these files exist already: ${taken.map((f) => f.path).join(', ')}`);

  const edits: FileEdit[] = [];
  const manualSteps: string[] = [];
  const edit = (file: string, change: string, result: (text: string) => EditResult, manual: string) => {
    const before = fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), 'utf8') : undefined;
    const outcome: EditResult =
      before === undefined ? { kind: 'unsafe', reason: `${file} is missing` } : result(before);
    if (outcome.kind === 'edited') edits.push({ path: file, change, before: before!, after: outcome.text });
    if (outcome.kind === 'unsafe') manualSteps.push(`${manual} (not done: ${outcome.reason})`);
  };

  const c = sourceNames(n);
  edit(
    'tsconfig.json',
    `paths: ${n.alias}`,
    (text) =>
      addJsonProperty('tsconfig.json', text, ['compilerOptions', 'paths'], n.alias, [`./libs/${n.module}/src`], (key) =>
        key.startsWith('@modulith/'),
      ),
    `add "${n.alias}": ["./libs/${n.module}/src"] to compilerOptions.paths in tsconfig.json`,
  );
  const project = { type: 'library', root: `libs/${n.module}`, entryFile: 'index', sourceRoot: `libs/${n.module}/src` };
  edit(
    'nest-cli.json',
    `projects: ${n.module}`,
    (text) =>
      addJsonProperty('nest-cli.json', text, ['projects'], n.module, project, (_key, value) => {
        const p = value as { type?: unknown; root?: unknown } | undefined;
        return p?.type === 'library' && typeof p.root === 'string' && !p.root.startsWith('libs/platform/');
      }),
    `add "${n.module}": ${JSON.stringify(project)} to projects in nest-cli.json`,
  );
  for (const app of APP_MODULES) {
    const step = `import { ${c.nestModule} } from '${n.alias}' in ${app} and add ${c.nestModule} to its imports: [...]`;
    if (options.register === false) manualSteps.push(step);
    else edit(app, `imports ${c.nestModule}`, (text) => addNestModuleImport(app, text, n.alias, c.nestModule), step);
  }

  return {
    names: n,
    files: await Promise.all(files.map(async (f) => ({ ...f, content: await format(root, f.path, f.content) }))),
    edits: await Promise.all(edits.map(async (e) => ({ ...e, after: await format(root, e.path, e.after) }))),
    manualSteps,
    nextSteps: nextSteps(n),
  };
}

/** A name is refused when anything of the repository already goes by it. */
function refuseExisting(root: string, n: ModuleNames): void {
  const exists = (file: string) => fs.existsSync(path.join(root, file));
  const read = (file: string) => (exists(file) ? fs.readFileSync(path.join(root, file), 'utf8') : '');
  const traces = [
    exists(`libs/${n.module}`) && `libs/${n.module} exists`,
    exists(`libs/platform/${n.module}`) && `'${n.module}' is a platform lib (libs/platform/${n.module})`,
    exists(`apps/${n.module}`) && `'${n.module}' is an app (apps/${n.module})`,
    exists(`prisma/${n.schema}`) && `prisma/${n.schema} exists (the schema '${n.schema}' is taken)`,
    read('tsconfig.json').includes(`"${n.alias}"`) && `tsconfig.json already maps ${n.alias}`,
    read('tsconfig.json').includes(`"@platform/${n.module}"`) &&
      `'${n.module}' is a platform lib (@platform/${n.module})`,
    new RegExp(`^\\s*"${n.module}"\\s*:`, 'm').test(read('nest-cli.json')) &&
      `nest-cli.json has a project '${n.module}'`,
  ].filter((trace): trace is string => typeof trace === 'string');
  if (traces.length > 0) {
    throw new GenerationRefused(
      `the module '${n.module}' cannot be generated: ${traces.join('; ')}. Pick another name.`,
    );
  }
}

function nextSteps(n: ModuleNames): string[] {
  const a = n.aggregate;
  const client = `../../libs/${n.module}/src/infrastructure/persistence/generated/client`;
  return [
    `npm run prisma:generate      generates the module's Prisma client (it does not compile before)`,
    `npm run docs                 adds ${n.module} to docs/modules.md and docs/asyncapi.yaml (npm test fails until then)`,
    `List the new client where the database tests list every module:
       test/integration/data-ownership.e2e-spec.ts:
         import * as ${n.pascal} from '${client}';
         and in CLIENTS:  ${n.schema}: ${n.pascal}.PrismaClient as never,
       test/integration/prisma-schemas-match-migrations.e2e-spec.ts:
         import * as ${n.pascal} from '${client}';
         it('${n.schema}: ${a.pascal}', async () => {
           const prisma = new ${n.pascal}.PrismaClient({ adapter: connection.prismaAdapter('${n.schema}') });
           const ${a.camel} = { id: 'SCHEMA-CHECK', name: 'Schema check', createdAt: at };
           expect(Object.keys(${a.camel}).sort()).toEqual(Object.keys(${n.pascal}.Prisma.${a.pascal}ScalarFieldEnum).sort());
           await prisma.${a.camel}.create({ data: ${a.camel} });
           expect(await prisma.${a.camel}.findUnique({ where: { id: ${a.camel}.id } })).toEqual(${a.camel});
         });`,
    `npm test -- libs/${n.module} test/architecture    the module's specs and the boundary rules; then npm test, npm run typecheck, npm run lint`,
    `Read libs/${n.module}/README.md: replace the sample (${a.pascal}, its rule, route and event) with the module's own`,
  ];
}

/** Formatted with the repository's prettier settings, as `npm run lint` checks; files prettier does not know stay as written. */
async function format(root: string, file: string, text: string): Promise<string> {
  const filepath = path.join(root, file);
  const info = await prettier.getFileInfo(filepath);
  if (!info.inferredParser) return text;
  const options = await prettier.resolveConfig(filepath);
  return prettier.format(text, { ...options, filepath });
}

/** Writes the plan: new files first (never over an existing one), then the edits. All or nothing. */
export function applyPlan(root: string, plan: Plan): void {
  const created: string[] = [];
  const createdDirs: string[] = [];
  const edited: FileEdit[] = [];
  try {
    for (const file of plan.files) {
      const full = path.join(root, file.path);
      const firstNew = fs.mkdirSync(path.dirname(full), { recursive: true });
      if (firstNew) createdDirs.push(firstNew);
      fs.writeFileSync(full, file.content, { flag: 'wx' });
      created.push(full);
    }
    for (const edit of plan.edits) {
      const full = path.join(root, edit.path);
      if (fs.readFileSync(full, 'utf8') !== edit.before) throw new Error(`${edit.path} changed while generating`);
      fs.writeFileSync(full, edit.after);
      edited.push(edit);
    }
  } catch (error) {
    for (const edit of edited) fs.writeFileSync(path.join(root, edit.path), edit.before);
    for (const file of created) fs.rmSync(file, { force: true });
    for (const dir of createdDirs.reverse()) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
