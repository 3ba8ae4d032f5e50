import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * The module boundaries of the blueprint, checked on resolved file paths. ESLint sees only the
 * specifier text, so a relative import such as '../../../catalog/src/domain/product' slips past it;
 * here every specifier is resolved first and the rules look at where it lands.
 */

export type RuleName =
  | 'ModulesTalkThroughTheirIndex'
  | 'PlatformKnowsNoBoundedContext'
  | 'PlatformLibsTalkThroughTheirIndex'
  | 'DomainIsPlainTypeScript'
  | 'NoCyclesBetweenModules';

export interface Violation {
  rule: RuleName;
  /** Repository-relative, forward slashes. */
  file: string;
  line: number;
  specifier: string;
  message: string;
}

/** Packages the domain must not know: frameworks, persistence and transport. */
const DOMAIN_FORBIDDEN_PACKAGES = [/^@nestjs\//, /^@prisma\//, /^prisma$/, /^pg$/, /^fastify$/];
/** Platform libs the domain may use: an allowlist, so a new platform lib starts out forbidden there. */
const DOMAIN_ALLOWED_PLATFORM_LIBS = ['ddd'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'generated', 'fixtures']);
const SOURCE_ROOTS = ['apps', 'libs'];

export type Owner =
  | { kind: 'module'; name: string }
  | { kind: 'platform'; name: string }
  | { kind: 'app'; name: string }
  | { kind: 'other' };

export interface Import {
  file: string;
  line: number;
  specifier: string;
  /** Repository-relative path the specifier resolves to, or undefined for a package. */
  target: string | undefined;
  viaAlias: boolean;
}

export function checkBoundaries(root: string): Violation[] {
  const aliases = readAliases(root);
  const imports = listImports(root);
  const aliasOf = indexAliases(root, aliases);
  const violations = [...imports.flatMap((i) => checkImport(i, aliasOf)), ...findModuleCycles(imports)];
  return violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
}

/**
 * Every import of the .ts files under apps/ and libs/, resolved to the file it lands on. The rules
 * below judge them; `npm run docs` (scripts/docs) draws the module graph of docs/modules.md from them.
 */
export function listImports(root: string): Import[] {
  const aliases = readAliases(root);
  return listSourceFiles(root).flatMap((file) => readImports(root, file, aliases));
}

/** Which app, bounded context or platform lib a repository-relative file belongs to. */
export function ownerOf(file: string): Owner {
  const [top, first, second] = file.split('/');
  if (top === 'libs' && first === 'platform' && second) return { kind: 'platform', name: second };
  if (top === 'libs' && first) return { kind: 'module', name: first };
  if (top === 'apps' && first) return { kind: 'app', name: first };
  return { kind: 'other' };
}

function libName(owner: Owner): string | undefined {
  if (owner.kind === 'module') return owner.name;
  if (owner.kind === 'platform') return `platform/${owner.name}`;
  return undefined;
}

function listSourceFiles(root: string): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : walk(rel);
      return entry.name.endsWith('.ts') ? [rel] : [];
    });
  return SOURCE_ROOTS.filter((dir) => fs.existsSync(path.join(root, dir))).flatMap(walk);
}

/** tsconfig `paths` of the checked root: alias pattern -> repository-relative targets. */
type Aliases = Map<string, string[]>;

function readAliases(root: string): Aliases {
  const { config, error } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  if (error) throw new Error(`${root}/tsconfig.json: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  const paths = (config?.compilerOptions?.paths ?? {}) as Record<string, string[]>;
  return new Map(Object.entries(paths).map(([key, targets]) => [key, targets.map((t) => path.posix.normalize(t))]));
}

/** Index file -> the alias that reaches it, so a message can name the import to use instead. */
function indexAliases(root: string, aliases: Aliases): Map<string, string> {
  const result = new Map<string, string>();
  for (const [key, [target]] of aliases) {
    if (!key.includes('*') && target) result.set(resolveFile(root, target) ?? target, key);
  }
  return result;
}

function readImports(root: string, file: string, aliases: Aliases): Import[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName: specifier, pos }) => {
    const line = text.slice(0, pos).split('\n').length;
    if (specifier.startsWith('.')) {
      const base = path.posix.join(path.posix.dirname(file), specifier);
      return { file, line, specifier, target: resolveFile(root, base) ?? base, viaAlias: false };
    }
    const candidates = aliasCandidates(specifier, aliases);
    if (!candidates) return { file, line, specifier, target: undefined, viaAlias: false };
    const found = candidates.map((c) => resolveFile(root, c)).find((c) => c !== undefined);
    return { file, line, specifier, target: found ?? candidates[0], viaAlias: true };
  });
}

/**
 * Paths an aliased specifier may mean, following tsconfig `paths`. A deep import of an exact alias
 * ('@modulith/catalog/src/domain/product') is not resolvable by tsc, but it still points into that
 * lib, so it is mapped below the alias target and, failing that, below the lib folder.
 */
function aliasCandidates(specifier: string, aliases: Aliases): string[] | undefined {
  for (const [key, targets] of aliases) {
    const star = key.indexOf('*');
    if (star >= 0) {
      const [prefix, suffix] = [key.slice(0, star), key.slice(star + 1)];
      if (specifier.startsWith(prefix) && specifier.endsWith(suffix) && specifier.length >= key.length - 1) {
        const matched = specifier.slice(prefix.length, specifier.length - suffix.length);
        return targets.map((t) => t.replace('*', matched));
      }
    } else if (specifier === key) {
      return targets;
    } else if (specifier.startsWith(`${key}/`)) {
      const rest = specifier.slice(key.length + 1);
      return targets.flatMap((t) => [path.posix.join(t, rest), path.posix.join(path.posix.dirname(t), rest)]);
    }
  }
  return undefined;
}

function resolveFile(root: string, base: string): string | undefined {
  const withoutJs = base.replace(/\.js$/, '');
  const candidates = [base, `${withoutJs}.ts`, `${withoutJs}.d.ts`, `${base}/index.ts`];
  return candidates.find((c) => fs.statSync(path.join(root, c), { throwIfNoEntry: false })?.isFile());
}

function checkImport(i: Import, aliasOf: Map<string, string>): Violation[] {
  const from = ownerOf(i.file);
  const violations: Violation[] = [];
  const report = (rule: RuleName, problem: string, fix: string) =>
    violations.push({
      rule,
      file: i.file,
      line: i.line,
      specifier: i.specifier,
      message: `${i.file}:${i.line} imports '${i.specifier}' and breaks ${rule}: ${problem} Fix: ${fix}`,
    });

  if (i.target === undefined) {
    if (domainModuleOf(i.file) && DOMAIN_FORBIDDEN_PACKAGES.some((p) => p.test(packageName(i.specifier)))) {
      report(
        'DomainIsPlainTypeScript',
        `domain/ is plain TypeScript and must not depend on the package '${packageName(i.specifier)}'.`,
        'keep framework, persistence and transport code in application/ or infrastructure/, behind a port the domain defines.',
      );
    }
    return violations;
  }

  const to = ownerOf(i.target);
  // Only read when the target is a lib (module or platform), where they name its public surface.
  const index = `libs/${libName(to)}/src/index.ts`;
  const alias = aliasOf.get(index) ?? (to.kind === 'platform' ? `@platform/${to.name}` : `@modulith/${libName(to)}`);
  const throughIndex = i.target === index && i.viaAlias;

  if (to.kind === 'module' && from.kind === 'platform') {
    report(
      'PlatformKnowsNoBoundedContext',
      `libs/platform/${from.name} depends on the bounded context '${to.name}' (${i.target}).`,
      `move this code into libs/${to.name}, or define an interface in the platform lib and let the module implement it.`,
    );
  } else if (to.kind === 'module' && (from.kind === 'module' || from.kind === 'app') && from.name !== to.name) {
    if (!throughIndex) {
      report(
        'ModulesTalkThroughTheirIndex',
        `it reaches ${i.target}, inside module '${to.name}', instead of its public surface ${index}.`,
        `import from '${alias}'; if what you need is not exported there, have '${to.name}' publish it on its facade or as an event in its contracts.`,
      );
    }
  }

  if (to.kind === 'platform' && !(from.kind === 'platform' && from.name === to.name) && !throughIndex) {
    report(
      'PlatformLibsTalkThroughTheirIndex',
      `it reaches ${i.target}, inside platform lib '${to.name}', instead of its public surface ${index}.`,
      `import from '${alias}', and export what you need from ${index} if it is meant to be public.`,
    );
  }

  const domainOf = domainModuleOf(i.file);
  if (domainOf) {
    const allowed =
      (to.kind === 'platform' && DOMAIN_ALLOWED_PLATFORM_LIBS.includes(to.name)) ||
      i.target.startsWith(`libs/${domainOf}/src/domain/`);
    if (!allowed || i.target.split('/').includes('generated')) {
      report(
        'DomainIsPlainTypeScript',
        `domain/ may import only its own domain/ files and @platform/{${DOMAIN_ALLOWED_PLATFORM_LIBS.join(',')}}, but this reaches ${i.target}.`,
        'invert the dependency: declare a port (interface) in application/ or domain/ and implement it in infrastructure/; another module is read from application/, through its facade.',
      );
    }
  }
  return violations;
}

/** The module whose domain/ holds the file, if it is a domain file. */
function domainModuleOf(file: string): string | undefined {
  const owner = ownerOf(file);
  return owner.kind === 'module' && file.startsWith(`libs/${owner.name}/src/domain/`) ? owner.name : undefined;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * Libs (bounded contexts and platform libs) as a graph; every strongly connected group of two or
 * more is one cycle to report, described by one concrete loop through it and the imports that make it.
 */
function findModuleCycles(imports: Import[]): Violation[] {
  const edges = new Map<string, Map<string, Import>>();
  for (const i of imports) {
    const from = libName(ownerOf(i.file));
    const to = i.target === undefined ? undefined : libName(ownerOf(i.target));
    if (!from || !to || from === to) continue;
    const out = edges.get(from) ?? new Map<string, Import>();
    if (!out.has(to)) out.set(to, i);
    edges.set(from, out);
  }
  const reach = (start: string): Set<string> => {
    const seen = new Set<string>();
    const queue = [start];
    for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
      for (const next of edges.get(node)?.keys() ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    return seen;
  };
  const reachable = new Map([...edges.keys()].map((node) => [node, reach(node)]));
  const reported = new Set<string>();
  const violations: Violation[] = [];
  for (const start of [...edges.keys()].sort()) {
    if (reported.has(start) || !reachable.get(start)?.has(start)) continue;
    const group = [...reachable.get(start)!].filter((n) => reachable.get(n)?.has(start));
    group.forEach((n) => reported.add(n));
    const loop = shortestLoop(start, edges);
    const steps = loop.slice(1).map((to, k) => edges.get(loop[k]!)!.get(to)!);
    const first = steps[0]!;
    violations.push({
      rule: 'NoCyclesBetweenModules',
      file: first.file,
      line: first.line,
      specifier: first.specifier,
      message:
        `Modules ${loop.join(' -> ')} form a cycle and break NoCyclesBetweenModules` +
        (group.length > loop.length - 1 ? ` (the cycle group is ${group.sort().join(', ')})` : '') +
        `: ${steps.map((s) => `${s.file}:${s.line} imports '${s.specifier}'`).join('; ')}. ` +
        'Fix: keep one direction; the other side reacts to published events, or the dependent side owns a port the other implements.',
    });
  }
  return violations;
}

/** Breadth-first, so the loop reported is the shortest one through `start`: [start, ..., start]. */
function shortestLoop(start: string, edges: Map<string, Map<string, Import>>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    for (const next of edges.get(node)?.keys() ?? []) {
      if (next === start) {
        const loop = [start];
        for (let n = node; n !== start; n = cameFrom.get(n)!) loop.splice(1, 0, n);
        return [...loop, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}
