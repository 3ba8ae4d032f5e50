import * as ts from 'typescript';
// The architecture test already resolves every import of apps/ and libs/ (aliases, relative paths,
// index files); the graph drawn in docs/modules.md is built from the same list, so the two agree.
import { type Import, listImports, ownerOf } from '../../test/architecture/boundary-rules';
import { byText, isTest, parse } from './typescript-source';

/** A node of the graph: an app, a bounded context or a platform lib. */
export interface Unit {
  /** `ordering`, `platform/cache`, `apps/api`. */
  id: string;
  kind: 'app' | 'module' | 'platform';
  /** `ordering`, `cache`, `api`. */
  name: string;
}

export interface Dependency {
  from: string;
  to: string;
  /**
   * `lib`: an import of the target's index (`@modulith/<module>`, `@platform/<lib>`), the only
   * kind the architecture test allows. `file`: an app importing a file of another app by path.
   */
  kind: 'lib' | 'file';
  /** What is imported, sorted: exported names, or '*' for a namespace import, import() or require(). */
  names: string[];
  /** The imported files, for `file` dependencies (`apps/payment-gateway/src/embedded.ts`). */
  targets: string[];
}

export interface LibGraph {
  units: Unit[];
  dependencies: Dependency[];
}

/** The dependencies between apps, bounded contexts and platform libs, from the code (tests excluded). */
export function readGraph(root: string): LibGraph {
  const units = new Map<string, Unit>();
  const dependencies = new Map<string, Dependency>();
  for (const i of listImports(root)) {
    const from = unitOf(i.file);
    const to = i.target === undefined ? undefined : unitOf(i.target);
    if (from) units.set(from.id, from);
    if (!from || !to || from.id === to.id || isTest(i.file)) continue;
    units.set(to.id, to);
    const kind = to.kind === 'app' ? 'file' : 'lib';
    const key = `${from.id} ${to.id}`;
    const dependency = dependencies.get(key) ?? { from: from.id, to: to.id, kind, names: [], targets: [] };
    dependency.names = unique([...dependency.names, ...importedNames(root, i)]);
    if (kind === 'file' && i.target) dependency.targets = unique([...dependency.targets, i.target]);
    dependencies.set(key, dependency);
  }
  return {
    units: [...units.values()].sort((a, b) => byText(a.id, b.id)),
    dependencies: [...dependencies.values()].sort((a, b) => byText(a.from, b.from) || byText(a.to, b.to)),
  };
}

function unitOf(file: string): Unit | undefined {
  const owner = ownerOf(file);
  switch (owner.kind) {
    case 'app':
      return { id: `apps/${owner.name}`, kind: 'app', name: owner.name };
    case 'module':
      return { id: owner.name, kind: 'module', name: owner.name };
    case 'platform':
      return { id: `platform/${owner.name}`, kind: 'platform', name: owner.name };
    default:
      return undefined;
  }
}

/**
 * The names one import brings in, read from the importing file's declarations with that
 * specifier: `import { A, type B } from 'x'` gives A and B, `export * from 'x'` and a namespace
 * import give '*'. A dynamic import() or require() has no declaration: '*'.
 */
function importedNames(root: string, i: Import): string[] {
  const names: string[] = [];
  for (const statement of parse(root, i.file).statements) {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || specifier.text !== i.specifier) continue;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.push('default');
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.push('*');
      if (bindings && ts.isNamedImports(bindings)) names.push(...bindings.elements.map(importedName));
      if (!clause) names.push('*'); // `import 'x'`, for its side effects
    } else {
      const clause = statement.exportClause;
      if (clause && ts.isNamedExports(clause)) names.push(...clause.elements.map(importedName));
      else names.push('*');
    }
  }
  return names.length > 0 ? names : ['*'];
}

/** `A as B` imports A: the name the target exports. */
function importedName(element: ts.ImportSpecifier | ts.ExportSpecifier): string {
  return (element.propertyName ?? element.name).getText();
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
