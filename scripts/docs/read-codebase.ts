import * as fs from 'node:fs';
import * as path from 'node:path';
import { BusinessRuleViolation } from '@platform/ddd';
import { toProblem } from '@platform/http';
import type { EventContract } from '@platform/messaging';
import { z } from 'zod';
import { type ModuleDatabase, readModuleDatabase } from './read-database';
import { type LibGraph, readGraph } from './read-graph';
import { type ConsumerFacts, readNestFacts, requireTs, type RouteFacts } from './read-nest-metadata';
import {
  type Contract,
  type FacadeMethod,
  filesMentioning,
  moduleClasses,
  readContracts,
  readExports,
  readFacade,
  readRules,
  type Rule,
} from './read-source-facts';
import { byText, docComment } from './typescript-source';

/**
 * Everything the generated documents say, read from the code in one place, so that the two
 * renderers (modules.md, asyncapi.yaml) and the freshness test share one model.
 */
export interface Codebase {
  title: string;
  version: string;
  modules: ModuleDoc[];
  /** Every contract declared in a module's `contracts/`, sorted by type. */
  messages: Message[];
  graph: LibGraph;
}

export interface ModuleDoc {
  name: string;
  /** `libs/<module>/README.md`, if there is one: the module's narrative. */
  readme: string | undefined;
  /** The doc comment of the module's Nest module class. */
  purpose: string;
  nestModule: { name: string; file: string };
  database: ModuleDatabase | undefined;
  surface: SurfaceEntry[];
  facades: Facade[];
  routes: Route[];
  rules: BusinessRule[];
  /** The module's outbox, if it records messages: `<schema>.outbox`. */
  outbox: { schema: string; source: string; types: string[] } | undefined;
  consumers: Consumer[];
}

export interface SurfaceEntry {
  name: string;
  file: string;
  kind: 'Nest module' | 'facade' | 'contract' | 'type' | 'value';
  /** The contract's type, or the type's shape. */
  detail: string;
}

export interface Facade {
  name: string;
  file: string;
  summary: string;
  methods: FacadeMethod[];
}

export interface Route extends RouteFacts {
  file: string;
}

export interface BusinessRule extends Rule {
  /** The `type` of the problem+json answer when the rule is broken (422). */
  problemType: string;
}

export interface Consumer extends Omit<ConsumerFacts, 'contract'> {
  type: string;
  /** The files that declare it (that name the consumer). */
  files: string[];
}

export interface Message extends Contract {
  /** The module whose `contracts/` declares it. */
  module: string;
  /**
   * `event`: recorded by the module that declares it, about itself. `command`: declared by the
   * module that accepts it and recorded by another one, the sender.
   */
  kind: 'event' | 'command';
  /** JSON Schema (draft-07) of the payload a consumer accepts. */
  payload: Record<string, unknown>;
  publishers: Array<{ module: string; source: string; outbox: string }>;
  consumers: Array<{ module: string; name: string; transactionOwner: string; maxAttempts: number }>;
}

export function readCodebase(root: string): Codebase {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  const modules = listModules(root).map((name) => readModule(root, name));
  return {
    title: pkg.name,
    version: pkg.version,
    modules,
    messages: readMessages(root, modules),
    graph: readGraph(root),
  };
}

/** The bounded contexts: every `libs/<name>` with a `src/index.ts`, except the platform. */
function listModules(root: string): string[] {
  return fs
    .readdirSync(path.join(root, 'libs'))
    .filter((name) => name !== 'platform' && fs.existsSync(path.join(root, 'libs', name, 'src', 'index.ts')))
    .sort();
}

function readModule(root: string, name: string): ModuleDoc {
  const nest = readNestFacts(root, name);
  const classes = moduleClasses(root, name);
  const fileOf = (className: string): string => classes.get(className)?.file ?? '';
  const contractTypes = new Map(
    Object.entries(nest.surface).flatMap(([exportName, value]) =>
      isContract(value) ? [[exportName, value.type]] : [],
    ),
  );
  const readme = `libs/${name}/README.md`;
  return {
    name,
    readme: fs.existsSync(path.join(root, readme)) ? readme : undefined,
    purpose: docComment(classes.get(nest.nestModule)?.node),
    nestModule: { name: nest.nestModule, file: fileOf(nest.nestModule) },
    database: readModuleDatabase(root, name),
    surface: readExports(root, name).map((e) => ({
      name: e.name,
      file: e.file,
      kind: surfaceKind(e.name, e.typeOnly, nest, contractTypes),
      detail: contractTypes.get(e.name) ?? e.shape ?? '',
    })),
    facades: nest.exportedProviders.flatMap((facade) => {
      const declared = classes.get(facade);
      return declared ? [{ name: facade, file: declared.file, ...readFacade(declared) }] : [];
    }),
    routes: nest.routes.map((route) => ({ ...route, file: fileOf(route.controller) })),
    rules: readRules(root, name).map((rule) => ({
      ...rule,
      message: messageAtRunTime(root, rule) ?? rule.message,
      problemType: problemTypeOf(rule),
    })),
    outbox: nest.outbox && {
      schema: nest.outbox.schema,
      source: nest.outbox.source,
      types: nest.outbox.contracts.map((c) => c.type),
    },
    consumers: nest.consumers.map(({ contract, ...consumer }) => ({
      ...consumer,
      type: contract.type,
      files: filesMentioning(root, name, consumer.name),
    })),
  };
}

/** What an export of index.ts is, judged by what it is at run time (a type has no run time). */
function surfaceKind(
  name: string,
  typeOnly: boolean,
  nest: { nestModule: string; exportedProviders: string[] },
  contractTypes: Map<string, string>,
): SurfaceEntry['kind'] {
  if (typeOnly) return 'type';
  if (name === nest.nestModule) return 'Nest module';
  if (nest.exportedProviders.includes(name)) return 'facade';
  return contractTypes.has(name) ? 'contract' : 'value';
}

function isContract(value: unknown): value is EventContract {
  const candidate = value as Partial<EventContract> | undefined;
  return typeof candidate?.type === 'string' && candidate.schema instanceof z.ZodType;
}

/**
 * The message of the rule built with a placeholder for each constructor argument: the text a
 * caller gets, every constant (from any file) as it is at run time, each argument as `{name}`
 * (and a property of one as `{name.property}`). A rule whose constructor cannot take such
 * placeholders (it computes with its arguments) keeps the message as written.
 */
function messageAtRunTime(root: string, rule: Rule): string | undefined {
  const RuleClass = requireTs(root, rule.file)[rule.name] as new (...args: unknown[]) => { message?: unknown };
  try {
    const { message } = new RuleClass(...rule.parameters.map(placeholder));
    return typeof message === 'string' && !/undefined|\[object /.test(message) ? message : undefined;
  } catch {
    return undefined;
  }
}

/** Reads as `{name}` in a template; any property of it is a placeholder too. */
function placeholder(name: string): unknown {
  return new Proxy(
    {},
    {
      get: (_target, key) =>
        key === Symbol.toPrimitive || key === 'toString' ? () => `{${name}}` : placeholder(`${name}.${String(key)}`),
    },
  );
}

/** The problem type the HTTP edge answers a broken rule with, from the edge's own mapping. */
function problemTypeOf(rule: Rule): string {
  return toProblem(new BusinessRuleViolation({ name: rule.name, message: '', isBroken: () => true })).type;
}

/** Every declared contract, with who records it (outboxes) and who consumes it (inboxes). */
function readMessages(root: string, modules: ModuleDoc[]): Message[] {
  const declared = modules.flatMap((m) => readContracts(root, m.name).map((c) => ({ ...c, module: m.name })));
  for (const m of modules) {
    for (const type of [...(m.outbox?.types ?? []), ...m.consumers.map((c) => c.type)]) {
      if (!declared.some((c) => c.type === type)) {
        throw new Error(`${m.name} records or consumes '${type}', which no libs/*/src/contracts/*.ts declares`);
      }
    }
  }
  return declared
    .map((contract) => {
      const publishers = modules.flatMap((m) =>
        m.outbox?.types.includes(contract.type)
          ? [{ module: m.name, source: m.outbox.source, outbox: `${m.outbox.schema}.outbox` }]
          : [],
      );
      const consumers = modules.flatMap((m) =>
        m.consumers
          .filter((c) => c.type === contract.type)
          .map((c) => ({
            module: m.name,
            name: c.name,
            transactionOwner: c.transactionOwner,
            maxAttempts: c.maxAttempts,
          })),
      );
      const isCommand = publishers.length > 0 && publishers.every((p) => p.module !== contract.module);
      return {
        ...contract,
        kind: isCommand ? ('command' as const) : ('event' as const),
        payload: payloadSchema(requireTs(root, contract.file)[contract.exportName], contract),
        publishers,
        consumers,
      };
    })
    .sort((a, b) => byText(a.type, b.type));
}

/**
 * The payload's JSON Schema, as zod derives it from the contract's schema. `io: 'input'`: what a
 * consumer's validation accepts (unknown properties are ignored, so no `additionalProperties:
 * false`). Draft-07, the dialect of AsyncAPI 3.0's default schema format; the `$schema` key is left
 * to the AsyncAPI document.
 */
function payloadSchema(value: unknown, contract: Contract): Record<string, unknown> {
  if (!isContract(value)) throw new Error(`${contract.file}: ${contract.exportName} is not a contract at run time`);
  const { $schema: _dialect, ...schema } = z.toJSONSchema(value.schema, { target: 'draft-7', io: 'input' });
  return schema;
}
