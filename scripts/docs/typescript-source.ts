import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Reading TypeScript source with the compiler's parser (no type checker: parsing a file takes
 * milliseconds, a whole program seconds). Used for what only the source has: doc comments,
 * signatures as written, and where a class is declared.
 */

const parsed = new Map<string, ts.SourceFile>();

/** The parsed file, cached: several readers look at the same files. */
export function parse(root: string, file: string): ts.SourceFile {
  const absolute = path.join(root, file);
  let source = parsed.get(absolute);
  if (!source) {
    source = ts.createSourceFile(absolute, fs.readFileSync(absolute, 'utf8'), ts.ScriptTarget.Latest, true);
    parsed.set(absolute, source);
  }
  return source;
}

/** Repository-relative `.ts` files under `dir`, sorted, without tests and generated code. */
export function listTsFiles(root: string, dir: string): string[] {
  const walk = (rel: string): string[] =>
    fs
      .readdirSync(path.join(root, rel), { withFileTypes: true })
      .flatMap((entry) => {
        const child = `${rel}/${entry.name}`;
        if (entry.isDirectory()) return entry.name === 'generated' ? [] : walk(child);
        return entry.name.endsWith('.ts') && !isTest(child) ? [child] : [];
      })
      .sort();
  return fs.existsSync(path.join(root, dir)) ? walk(dir) : [];
}

/** Specs document behaviour, not the module's shape: their imports and classes are left out. */
export function isTest(file: string): boolean {
  return /\.(spec|e2e-spec)\.ts$/.test(file);
}

/** The doc comment of a declaration, whitespace collapsed to single spaces; '' when it has none. */
export function docComment(node: ts.Node | undefined): string {
  if (!node) return '';
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  return docs
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first sentence of a text: up to the first '.', '!' or '?' followed by a space or the end. */
export function firstSentence(text: string): string {
  return /^(.*?[.!?])(?=\s|$)/.exec(text)?.[1] ?? text;
}

/** Source text with its line breaks and indentation collapsed, for a signature on one line. */
export function oneLine(node: ts.Node): string {
  return node
    .getText()
    .replace(/\s+/g, ' ')
    .replace(/\(\s/g, '(')
    .replace(/,?\s\)/g, ')');
}

export interface DeclaredClass {
  name: string;
  file: string;
  node: ts.ClassDeclaration;
}

/** Every named class declared at the top level of the given files, by name. */
export function classesIn(root: string, files: readonly string[]): Map<string, DeclaredClass> {
  const classes = new Map<string, DeclaredClass>();
  for (const file of files) {
    for (const statement of parse(root, file).statements) {
      if (ts.isClassDeclaration(statement) && statement.name) {
        classes.set(statement.name.text, { name: statement.name.text, file, node: statement });
      }
    }
  }
  return classes;
}

/** Whether a class member is part of the class's public API (not private, protected or #private). */
export function isPublicMember(member: ts.ClassElement): boolean {
  if (member.name && ts.isPrivateIdentifier(member.name)) return false;
  const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
  return !modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword);
}

/**
 * Orders strings by code point, as `.sort()` does. Not `localeCompare`: its order depends on the
 * machine's locale, and the generated files must come out the same everywhere.
 */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
