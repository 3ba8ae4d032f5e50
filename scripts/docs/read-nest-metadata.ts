import 'reflect-metadata';
import * as path from 'node:path';
import { RequestMethod, type Type } from '@nestjs/common';
import { InboxFeature, type InboxHandler } from '@platform/inbox';
import type { EventContract } from '@platform/messaging';
import { OutboxFeature, OutboxModule } from '@platform/outbox';

/**
 * What a module declares to Nest, read from the metadata its decorators leave on its classes:
 * the same metadata Nest wires the application from, so what is written here cannot drift from
 * what runs. Loading a module's index.ts only defines classes; nothing connects anywhere.
 */
export interface NestFacts {
  /** The exports of the module's index.ts, by name. */
  surface: Record<string, unknown>;
  /** The Nest module class exported from index.ts. */
  nestModule: string;
  /** The providers the Nest module exports: its facade(s), what other modules may inject. */
  exportedProviders: string[];
  outbox: OutboxFacts | undefined;
  consumers: ConsumerFacts[];
  routes: RouteFacts[];
}

export interface OutboxFacts {
  /** The schema of the outbox table: `<schema>.outbox`. */
  schema: string;
  /** The CloudEvents `source` of every message recorded there. */
  source: string;
  /** The messages the module records there, in declaration order. */
  contracts: EventContract[];
}

export interface ConsumerFacts {
  /** Keys the module's inbox rows and is the consumer group. */
  name: string;
  /** The schema of the inbox tables: `<schema>.inbox`. */
  schema: string;
  /** The class that handles the messages. */
  handler: string;
  contract: EventContract;
  transactionOwner: 'inbox' | 'handler';
  maxAttempts: number;
}

export interface RouteFacts {
  method: string;
  path: string;
  summary: string;
  /** Documented response statuses (success and problems), ascending. */
  statuses: string[];
  controller: string;
}

// Keys @nestjs/common and @nestjs/swagger write their decorators' metadata under.
const MODULE_IMPORTS = 'imports';
const MODULE_PROVIDERS = 'providers';
const MODULE_CONTROLLERS = 'controllers';
const MODULE_EXPORTS = 'exports';
const ROUTE_PATH = 'path';
const ROUTE_METHOD = 'method';
const API_OPERATION = 'swagger/apiOperation';
const API_RESPONSES = 'swagger/apiResponse';

/**
 * Loads a TypeScript file of the repository. The libs to document are found on disk, so they are
 * loaded by path at run time: with `require`, not import(), since jest and @swc-node/register both
 * compile TypeScript through the require hook.
 */
export function requireTs(root: string, file: string): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(root, file)) as Record<string, unknown>;
}

export function readNestFacts(root: string, module: string): NestFacts {
  const surface = requireTs(root, `libs/${module}/src/index.ts`);
  const nestModule = Object.values(surface).find(isNestModule);
  if (!nestModule) throw new Error(`libs/${module}/src/index.ts exports no Nest module`);
  const metadata = <T>(key: string): T[] => (Reflect.getMetadata(key, nestModule) as T[] | undefined) ?? [];
  return {
    surface,
    nestModule: nestModule.name,
    exportedProviders: metadata<unknown>(MODULE_EXPORTS)
      .filter((e): e is Type => typeof e === 'function' && !isNestModule(e))
      .map((e) => e.name),
    outbox: outboxOf(metadata(MODULE_IMPORTS)),
    consumers: consumersOf(metadata(MODULE_PROVIDERS)),
    routes: metadata<Type>(MODULE_CONTROLLERS).flatMap(routesOf),
  };
}

function isNestModule(value: unknown): value is Type {
  return typeof value === 'function' && Reflect.hasOwnMetadata(MODULE_PROVIDERS, value);
}

/** `OutboxModule.forFeature({ schema, source, events })` among the module's imports. */
function outboxOf(imports: unknown[]): OutboxFacts | undefined {
  for (const imported of imports) {
    const dynamic = imported as { module?: unknown; providers?: Array<{ useValue?: unknown }> };
    if (dynamic?.module !== OutboxModule) continue;
    const feature = dynamic.providers?.map((p) => p.useValue).find((v) => v instanceof OutboxFeature);
    if (feature) return { schema: feature.schema, source: feature.source, contracts: [...feature.events] };
  }
  return undefined;
}

/**
 * `inboxConsumers({ schema, transactions, handlers })` among the module's providers: a factory
 * provider that injects the handlers. It is called here as Nest would call it, so the definitions
 * come out with the inbox's defaults applied (maxAttempts, transactionOwner). The handlers are
 * built without their dependencies: their constructors only store them, and what is read here,
 * the `consumer` declaration, is a field set at construction. The factory's other arguments (the
 * transaction host, the connection) are only used when a message arrives, so they stay undefined.
 */
function consumersOf(providers: unknown[]): ConsumerFacts[] {
  const handlerClasses = new Set(providers.filter((p): p is Type => typeof p === 'function'));
  return providers.flatMap((provider) => {
    const factory = provider as { provide?: unknown; inject?: unknown[]; useFactory?: (...args: unknown[]) => unknown };
    if (factory?.provide !== InboxFeature || !factory.useFactory) return [];
    const injected = (factory.inject ?? []).map((dependency) =>
      handlerClasses.has(dependency as Type) ? (Reflect.construct(dependency as Type, []) as InboxHandler) : undefined,
    );
    const feature = factory.useFactory(...injected) as InboxFeature;
    const handlers = injected.filter((h) => h !== undefined);
    return feature.consumers.map(({ definition }, index) => ({
      name: definition.name,
      schema: definition.schema,
      handler: handlers[index]?.constructor.name ?? '',
      contract: definition.contract,
      transactionOwner: definition.transactionOwner ?? 'inbox',
      maxAttempts: definition.maxAttempts,
    }));
  });
}

/** A controller's routes: `@Controller(prefix)` and each handler's `@Get(path)`, `@Post(path)`... */
function routesOf(controller: Type): RouteFacts[] {
  const prefix = String(Reflect.getMetadata(ROUTE_PATH, controller) ?? '');
  return Object.getOwnPropertyNames(controller.prototype).flatMap((key) => {
    const handler = (controller.prototype as Record<string, unknown>)[key];
    if (key === 'constructor' || typeof handler !== 'function') return [];
    const method = Reflect.getMetadata(ROUTE_METHOD, handler) as RequestMethod | undefined;
    if (method === undefined) return [];
    const responses = (Reflect.getMetadata(API_RESPONSES, handler) ?? {}) as Record<string, unknown>;
    const operation = (Reflect.getMetadata(API_OPERATION, handler) ?? {}) as { summary?: string };
    return [
      {
        method: RequestMethod[method],
        path: joinPath(prefix, String(Reflect.getMetadata(ROUTE_PATH, handler) ?? '')),
        summary: operation.summary ?? '',
        statuses: Object.keys(responses).sort(),
        controller: controller.name,
      },
    ];
  });
}

function joinPath(...parts: string[]): string {
  return `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;
}
