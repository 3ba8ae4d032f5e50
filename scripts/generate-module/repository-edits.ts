import { isDeepStrictEqual } from 'node:util';
import * as ts from 'typescript';

/**
 * The small edits that make a new module known to the repository: its alias in tsconfig.json, its
 * project in nest-cli.json, and its Nest module among the apps' imports. Each inserts text at one
 * place found with the TypeScript parser (so the rest of the file keeps its layout and comments),
 * then checks the result parses to the original plus the one addition. A file whose shape is not
 * the expected one is not edited: the caller prints the step to do by hand instead.
 */

export type EditResult = { kind: 'edited'; text: string } | { kind: 'present' } | { kind: 'unsafe'; reason: string };

interface Insertion {
  at: number;
  text: string;
}

const apply = (text: string, insertions: Insertion[]): string =>
  [...insertions].sort((x, y) => y.at - x.at).reduce((out, i) => out.slice(0, i.at) + i.text + out.slice(i.at), text);

function parseJson(file: string, text: string): Record<string, unknown> | undefined {
  const { config, error } = ts.parseConfigFileTextToJson(file, text);
  return error ? undefined : (config as Record<string, unknown>);
}

function at(value: unknown, keys: string[]): Record<string, unknown> | undefined {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current !== null && typeof current === 'object' && !Array.isArray(current)
    ? (current as Record<string, unknown>)
    : undefined;
}

const propertyName = (p: ts.ObjectLiteralElementLike): string | undefined =>
  ts.isPropertyAssignment(p) && (ts.isStringLiteral(p.name) || ts.isIdentifier(p.name)) ? p.name.text : undefined;

/**
 * Adds `"key": value` to the object at `objectPath` of a JSON file, next to the properties of its
 * group (`inGroup`): before the first of them whose key sorts after it, else after the last of
 * them, else last in the object.
 */
export function addJsonProperty(
  file: string,
  text: string,
  objectPath: string[],
  key: string,
  value: unknown,
  inGroup: (key: string, value: unknown) => boolean,
): EditResult {
  const before = parseJson(file, text);
  const target = at(before, objectPath);
  if (!before || !target) return { kind: 'unsafe', reason: `${file} has no object at ${objectPath.join('.')}` };
  if (key in target) return { kind: 'present' };

  const source = ts.parseJsonText(file, text);
  let node: ts.Expression | undefined = source.statements[0]?.expression;
  for (const name of objectPath) {
    const property: ts.ObjectLiteralElementLike | undefined =
      node && ts.isObjectLiteralExpression(node) ? node.properties.find((p) => propertyName(p) === name) : undefined;
    node = property && ts.isPropertyAssignment(property) ? property.initializer : undefined;
  }
  if (!node || !ts.isObjectLiteralExpression(node) || node.properties.length === 0) {
    return { kind: 'unsafe', reason: `${file}: ${objectPath.join('.')} is not an object with properties` };
  }
  const properties = node.properties;
  const group = properties.filter((p) => {
    const name = propertyName(p);
    return name !== undefined && inGroup(name, target[name]);
  });
  const entry = `${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  const next = group.find((p) => propertyName(p)!.localeCompare(key) > 0);
  const last = group[group.length - 1] ?? properties[properties.length - 1]!;
  const insertion: Insertion = next
    ? { at: next.getStart(source), text: `${entry},\n${indentOf(text, next.getStart(source))}` }
    : { at: last.end, text: `,\n${indentOf(text, last.getStart(source))}${entry}` };
  const edited = apply(text, [insertion]);

  const after = parseJson(file, edited);
  const added = at(after, objectPath);
  const expected = structuredClone(before);
  at(expected, objectPath)![key] = value;
  if (!added || !isDeepStrictEqual(after, expected)) {
    return { kind: 'unsafe', reason: `${file}: adding ${key} would change more than that entry` };
  }
  return { kind: 'edited', text: edited };
}

function indentOf(text: string, position: number): string {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/**
 * Imports a module's Nest module into an app's root module: an `import { XModule } from
 * '@modulith/x'` next to the other modules' imports, and `XModule` last in the one `imports: [...]`
 * array that lists them (so the existing modules keep their order).
 */
export function addNestModuleImport(file: string, text: string, alias: string, className: string): EditResult {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const moduleImports = source.statements
    .filter(ts.isImportDeclaration)
    .filter((i) => ts.isStringLiteral(i.moduleSpecifier) && i.moduleSpecifier.text.startsWith('@modulith/'));
  if (moduleImports.some((i) => (i.moduleSpecifier as ts.StringLiteral).text === alias)) return { kind: 'present' };
  if (moduleImports.length === 0) return { kind: 'unsafe', reason: `${file} imports no @modulith/* module` };
  if (new RegExp(`\\b${className}\\b`).test(text)) {
    return { kind: 'unsafe', reason: `${file} already has something named ${className}` };
  }

  const imported = new Set(
    moduleImports.flatMap((i) => {
      const bindings = i.importClause?.namedBindings;
      return bindings && ts.isNamedImports(bindings) ? bindings.elements.map((e) => e.name.text) : [];
    }),
  );
  const arrays: ts.ArrayLiteralExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isPropertyAssignment(node) &&
      propertyName(node) === 'imports' &&
      ts.isArrayLiteralExpression(node.initializer) &&
      node.initializer.elements.some((e) => ts.isIdentifier(e) && imported.has(e.text))
    ) {
      arrays.push(node.initializer);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (arrays.length !== 1) {
    return { kind: 'unsafe', reason: `${file} has ${arrays.length} imports: [...] arrays listing modules, not one` };
  }
  const elements = arrays[0]!.elements;

  const next = moduleImports.find((i) => (i.moduleSpecifier as ts.StringLiteral).text.localeCompare(alias) > 0);
  const line = `import { ${className} } from '${alias}';`;
  const edited = apply(text, [
    next ? { at: next.getStart(source), text: `${line}\n` } : { at: moduleImports.at(-1)!.end, text: `\n${line}` },
    { at: elements[elements.length - 1]!.end, text: `, ${className}` },
  ]);

  const { diagnostics } = ts.transpileModule(edited, { reportDiagnostics: true, fileName: file });
  if (diagnostics?.length) return { kind: 'unsafe', reason: `${file} would not parse after the edit` };
  return { kind: 'edited', text: edited };
}
