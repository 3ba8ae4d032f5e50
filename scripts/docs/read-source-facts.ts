import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import {
  byText,
  classesIn,
  type DeclaredClass,
  docComment,
  firstSentence,
  isPublicMember,
  listTsFiles,
  oneLine,
  parse,
} from './typescript-source';

/** What only a module's source holds: doc comments, signatures as written, file locations. */

export interface Export {
  name: string;
  /** The file index.ts re-exports it from. */
  file: string;
  typeOnly: boolean;
  /** For a type: its shape, when it fits on a line (`{ sku: string; priceMinor: number }`). */
  shape: string | undefined;
}

export interface FacadeMethod {
  signature: string;
  summary: string;
}

export interface Rule {
  name: string;
  file: string;
  /** The rule's doc comment. */
  doc: string;
  /** The `message` a broken rule gives, as written: a template's constants of the same file filled in. */
  message: string;
  /** The names of the constructor's parameters. */
  parameters: string[];
}

export interface Contract {
  /** `ordering.order-placed.v1`. */
  type: string;
  /** `OrderPlacedV1`. */
  exportName: string;
  file: string;
  /** The doc comment of the contract, whitespace collapsed. */
  description: string;
  /** What `Subject: ...` in the doc comment says the subject (the broker key) is. */
  subject: string;
}

/** Every class declared in the module (tests excluded), by name. */
export function moduleClasses(root: string, module: string): Map<string, DeclaredClass> {
  return classesIn(root, listTsFiles(root, `libs/${module}/src`));
}

/** The exports of `libs/<module>/src/index.ts`, in the order it lists them. */
export function readExports(root: string, module: string): Export[] {
  const index = `libs/${module}/src/index.ts`;
  return parse(root, index).statements.flatMap((statement) => {
    if (!ts.isExportDeclaration(statement) || !statement.moduleSpecifier || !statement.exportClause) return [];
    if (!ts.isStringLiteral(statement.moduleSpecifier) || !ts.isNamedExports(statement.exportClause)) return [];
    const base = `libs/${module}/src/${statement.moduleSpecifier.text.replace(/^\.\//, '')}`;
    const file = fs.existsSync(path.join(root, `${base}.ts`)) ? `${base}.ts` : `${base}/index.ts`;
    return statement.exportClause.elements.map((element) => {
      const typeOnly = statement.isTypeOnly || element.isTypeOnly;
      const name = element.name.text;
      return { name, file, typeOnly, shape: typeOnly ? typeShape(root, file, name) : undefined };
    });
  });
}

/** An interface or type alias written out on one line, if short enough to read in a table cell. */
function typeShape(root: string, file: string, name: string): string | undefined {
  for (const statement of parse(root, file).statements) {
    if (ts.isInterfaceDeclaration(statement) && statement.name.text === name) {
      const members = statement.members.map((m) => oneLine(m).replace(/;$/, ''));
      const shape = `{ ${members.join('; ')} }`;
      return shape.length <= 120 ? shape : undefined;
    }
    if (ts.isTypeAliasDeclaration(statement) && statement.name.text === name) {
      const shape = oneLine(statement.type);
      return shape.length <= 120 ? shape : undefined;
    }
  }
  return undefined;
}

/** A class's doc comment and its public methods with their signatures and first sentences. */
export function readFacade(facade: DeclaredClass): { summary: string; methods: FacadeMethod[] } {
  const methods = facade.node.members.filter(ts.isMethodDeclaration).filter(isPublicMember);
  return {
    summary: docComment(facade.node),
    methods: methods.map((method) => {
      const parameters = method.parameters.map(oneLine).join(', ');
      const returns = method.type ? `: ${oneLine(method.type)}` : '';
      return {
        signature: `${method.name.getText()}(${parameters})${returns}`,
        summary: firstSentence(docComment(method)),
      };
    }),
  };
}

/**
 * The business rules of the module: the classes in `domain/rules/` that implement BusinessRule
 * (`@platform/ddd`), with their doc comments and their `message`, the text a caller gets when one
 * is broken.
 */
export function readRules(root: string, module: string): Rule[] {
  const classes = classesIn(root, listTsFiles(root, `libs/${module}/src/domain/rules`));
  return [...classes.values()]
    .filter(({ node }) => implementsInterface(node, 'BusinessRule'))
    .map(({ name, file, node }) => ({
      name,
      file,
      doc: docComment(node),
      message: ruleMessage(node),
      parameters: node.members
        .filter(ts.isConstructorDeclaration)
        .flatMap((c) => c.parameters.map((p) => p.name.getText())),
    }))
    .sort((a, b) => byText(a.file, b.file));
}

function implementsInterface(node: ts.ClassDeclaration, name: string): boolean {
  return (node.heritageClauses ?? []).some(
    (clause) =>
      clause.token === ts.SyntaxKind.ImplementsKeyword && clause.types.some((t) => t.expression.getText() === name),
  );
}

/**
 * The rule's `message`, set either as a field initializer or in the constructor. In a template,
 * a constant of the same file is replaced by its value and anything else (a constructor
 * parameter) by `{name}`.
 */
function ruleMessage(node: ts.ClassDeclaration): string {
  const constants = fileConstants(node.getSourceFile());
  const render = (expression: ts.Expression): string => {
    if (ts.isStringLiteralLike(expression)) return expression.text;
    if (ts.isParenthesizedExpression(expression)) return render(expression.expression);
    if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      return render(expression.left) + render(expression.right);
    }
    if (!ts.isTemplateExpression(expression)) return constants.get(expression.getText()) ?? `{${oneLine(expression)}}`;
    return (
      expression.head.text +
      expression.templateSpans
        .map(
          (span) => (constants.get(span.expression.getText()) ?? `{${span.expression.getText()}}`) + span.literal.text,
        )
        .join('')
    );
  };
  for (const member of node.members) {
    if (ts.isPropertyDeclaration(member) && member.name.getText() === 'message' && member.initializer) {
      return render(member.initializer);
    }
    if (ts.isConstructorDeclaration(member)) {
      const assignment = member.body?.statements
        .filter(ts.isExpressionStatement)
        .map((s) => s.expression)
        .find(
          (e): e is ts.BinaryExpression =>
            ts.isBinaryExpression(e) && e.left.getText() === 'this.message' && e.operatorToken.getText() === '=',
        );
      if (assignment) return render(assignment.right);
    }
  }
  return '';
}

/** Top-level `const NAME = <number or string literal>` of a file, by name, with their values. */
function fileConstants(source: ts.SourceFile): Map<string, string> {
  const constants = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const value = declaration.initializer;
      if (value && ts.isNumericLiteral(value)) constants.set(declaration.name.getText(), String(Number(value.text)));
      if (value && ts.isStringLiteralLike(value)) constants.set(declaration.name.getText(), value.text);
    }
  }
  return constants;
}

/**
 * The contracts declared in `libs/<module>/src/contracts/`: every exported
 * `const X = defineEvent('<type>', schema)`, with its doc comment.
 */
export function readContracts(root: string, module: string): Contract[] {
  return listTsFiles(root, `libs/${module}/src/contracts`).flatMap((file) =>
    parse(root, file).statements.flatMap((statement) => {
      if (!ts.isVariableStatement(statement)) return [];
      return statement.declarationList.declarations.flatMap((declaration) => {
        const call = declaration.initializer;
        if (!call || !ts.isCallExpression(call) || call.expression.getText() !== 'defineEvent') return [];
        const [type] = call.arguments;
        if (!type || !ts.isStringLiteralLike(type)) return [];
        const description = docComment(declaration);
        return [
          {
            type: type.text,
            exportName: declaration.name.getText(),
            file,
            description,
            subject: /Subject: (.+?)\.(?=\s|$)/.exec(description)?.[1] ?? '',
          },
        ];
      });
    }),
  );
}

/** The files of the module that mention a string literal, e.g. the name of a consumer. */
export function filesMentioning(root: string, module: string, literal: string): string[] {
  return listTsFiles(root, `libs/${module}/src`).filter((file) => {
    let found = false;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isStringLiteralLike(node) && node.text === literal) found = true;
      else ts.forEachChild(node, visit);
    };
    visit(parse(root, file));
    return found;
  });
}
