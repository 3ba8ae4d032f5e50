import type { ModuleNames } from '../names';
import type { MigrationNames } from './database';
import { type TemplateFile, sourceNames } from './module-source';

/** `libs/<module>/README.md`: what the module owns, where to start reading, what to copy next. */
export function moduleReadme(n: ModuleNames, migrations: MigrationNames): TemplateFile {
  const a = n.aggregate;
  const c = sourceNames(n);
  const m = (name: string) => `\`${name}\``;
  return {
    path: `libs/${n.module}/README.md`,
    content: `# ${n.module}

The ${n.words} bounded context. _Scaffolded by \`npm run generate:module\`: replace this paragraph with what the module
owns and what it does for the others, and the sample \`${a.pascal}\` with the module's own aggregate._ It owns the
\`${n.schema}\` PostgreSQL schema, offers other modules one synchronous read through \`${c.facade}\`, and declares one
event, \`${c.eventType}\`. Its entry in the module catalog: [docs/modules.md](../../docs/modules.md#${n.module}).

## What it owns

- **Its data**, in the \`${n.schema}\` schema ([prisma/${n.schema}](../../prisma/${n.schema}), one migration per step):
  - \`${n.schema}.${a.plural.snake}\`, the table of the sample aggregate (model \`${a.pascal}\`): ${m(migrations.schema)};
  - \`${n.schema}.outbox\`, ready for its first published event: ${m(migrations.outbox)};
  - \`${n.schema}.inbox\` and \`${n.schema}.inbox_dead_letters\`, ready for its first consumer: ${m(migrations.inbox)}.
- **Its role**, \`${n.role}\` (${m(migrations.role)}): on PostgreSQL the module's Prisma client runs as it, and
  may use this schema and no other ([prisma/README.md](../../prisma/README.md#data-ownership)).
- **Its public surface**, \`src/index.ts\`: the Nest module \`${c.nestModule}\`, the facade \`${c.facade}\`
  (\`${c.facadeMethod}(id)\`), the view it returns and the contract \`${c.contract}\`. Everything else is private:
  other modules import \`${n.alias}\` only, and the lint rules and \`test/architecture\` make it so.
- **One HTTP route**, \`GET /${c.route}/:id\` (\`src/api/\`), served by the api.

## Where to start reading

1. \`src/index.ts\` and \`src/${n.module}.module.ts\`: what is public, what is wired.
2. \`src/domain/${a.kebab}.ts\` and \`src/domain/rules/\`: the aggregate and its named rule, each with its spec.
3. \`src/application/find-${a.kebab}/\`: a query and its handler, tested with the storage port in memory;
   \`src/application/${a.kebab}-repository.ts\` is the port, \`src/application/${n.module}.facade.ts\` what other modules call.
4. \`src/infrastructure/persistence/\`: the module's Prisma client (\`providePrismaClient\`, run as its role) and the
   repository implementing the port.
5. \`src/api/\`: the controller, one line of dispatch, and its zod request and response schemas.
6. \`src/contracts/\`: what the module publishes.

## What to copy next

- **A command that writes and publishes its event**: catalog's \`application/change-product-details/\`, with the
  \`UnitOfWork\` and \`EventOutbox\` ports (\`application/transactions.ts\`) and their implementation over the module's
  Prisma client (\`infrastructure/persistence/catalog-transactions.ts\`); then register the outbox in
  \`${n.module}.module.ts\`: \`OutboxModule.forFeature({ schema: '${n.schema}', source: ${c.eventSource}, events: [${c.contract}] })\`
  ([libs/platform/outbox](../platform/outbox/README.md)). A write that fits in one SQL statement needs no unit of
  work: see ordering's repository.
- **A consumer of another module's events**: [libs/platform/inbox](../platform/inbox/README.md), and catalog's
  \`api/forget-cached-product.consumer.ts\` for the wiring (\`inboxConsumers\`).
- **A read of another module**: its facade, imported from \`@modulith/<module>\`, behind a port of this module's own
  (ordering's \`application/ports.ts\` and \`infrastructure/catalog/\`).
- **A schema change**: a new migration ([prisma/README.md](../../prisma/README.md#adding-a-migration)).

## Finishing the scaffold

Delete this section once done.

1. \`npm run prisma:generate\` (the module does not compile before its client exists), then \`npm run docs\` (the module
   catalog and the AsyncAPI document gain ${n.module}).
2. Add the module's client where the database tests list every module:
   \`test/integration/data-ownership.e2e-spec.ts\` (\`CLIENTS\`) and \`test/integration/prisma-schemas-match-migrations.e2e-spec.ts\`
   (one test per model); \`npm run generate:module\` printed both snippets.
3. Rename the sample to the module's language: \`${a.pascal}\`, \`${c.rule}\`, \`${c.eventType}\`, the route.
   Add lines for the new specs to [test/README.md](../../test/README.md).
4. \`npm test\`, \`npm run typecheck\`, \`npm run lint\`.
`,
  };
}
