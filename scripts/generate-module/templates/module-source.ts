import type { ModuleNames } from '../names';

/**
 * The TypeScript of a new bounded context, `libs/<module>/src`, one function per file. Each is
 * the smallest real instance of the convention the existing modules follow (catalog is the model):
 * read the output of `npm run generate:module -- shipping` next to this file to see the result.
 * Everything written here is formatted by prettier afterwards.
 */

export interface TemplateFile {
  /** Repository-relative, forward slashes. */
  path: string;
  content: string;
}

const article = (words: string): string => (/^[aeiou]/.test(words) ? 'an' : 'a');
const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** The paths of a module's files, so that templates and the generator's report agree. */
export function sourcePaths(n: ModuleNames) {
  const a = n.aggregate;
  const src = `libs/${n.module}/src`;
  return {
    index: `${src}/index.ts`,
    nestModule: `${src}/${n.module}.module.ts`,
    aggregate: `${src}/domain/${a.kebab}.ts`,
    aggregateSpec: `${src}/domain/${a.kebab}.spec.ts`,
    rule: `${src}/domain/rules/${a.kebab}-name-must-not-be-blank.rule.ts`,
    ruleSpec: `${src}/domain/rules/${a.kebab}-name-must-not-be-blank.rule.spec.ts`,
    view: `${src}/application/${a.kebab}.view.ts`,
    port: `${src}/application/${a.kebab}-repository.ts`,
    facade: `${src}/application/${n.module}.facade.ts`,
    query: `${src}/application/find-${a.kebab}/find-${a.kebab}.query.ts`,
    handler: `${src}/application/find-${a.kebab}/find-${a.kebab}.handler.ts`,
    handlerSpec: `${src}/application/find-${a.kebab}/find-${a.kebab}.handler.spec.ts`,
    prismaModule: `${src}/infrastructure/persistence/${n.module}-prisma.module.ts`,
    repository: `${src}/infrastructure/persistence/prisma-${a.kebab}.repository.ts`,
    dto: `${src}/api/${a.kebab}.dto.ts`,
    controller: `${src}/api/${a.plural.kebab}.http.controller.ts`,
    contract: `${src}/contracts/${a.kebab}-created.v1.ts`,
    contractsReadme: `${src}/contracts/README.md`,
  };
}

/** Class and constant names shared by several files. */
export function sourceNames(n: ModuleNames) {
  const a = n.aggregate;
  return {
    nestModule: `${n.pascal}Module`,
    prismaModule: `${n.pascal}PrismaModule`,
    facade: `${n.pascal}Facade`,
    rule: `${a.pascal}NameMustNotBeBlank`,
    maxNameLength: `MAX_${a.kebab.replaceAll('-', '_').toUpperCase()}_NAME_LENGTH`,
    state: `${a.pascal}State`,
    view: `${a.pascal}View`,
    port: `${a.pascal}Repository`,
    repository: `Prisma${a.pascal}Repository`,
    query: `Find${a.pascal}Query`,
    handler: `Find${a.pascal}Handler`,
    facadeMethod: `find${a.pascal}`,
    controller: `${a.plural.pascal}HttpController`,
    idParams: `${a.pascal}IdParams`,
    response: `${a.pascal}Response`,
    contract: `${a.pascal}CreatedV1`,
    eventType: `${n.module}.${a.kebab}-created.v1`,
    eventSource: `${n.constant}_EVENT_SOURCE`,
    route: `${n.module}/${a.plural.kebab}`,
    sampleId: `${a.kebab}-1`,
  };
}

export function moduleSource(n: ModuleNames): TemplateFile[] {
  const p = sourcePaths(n);
  const c = sourceNames(n);
  const a = n.aggregate;
  const file = (path: string, content: string): TemplateFile => ({ path, content });
  const from = (target: string, start: string) => relative(start, target);

  return [
    file(
      p.index,
      `/**
 * The ${n.words} module's public surface. Other modules and the apps import only from here: the
 * Nest module, its facade, the types the facade returns, and the events the module publishes.
 */
export { ${c.nestModule} } from '${from(p.nestModule, p.index)}';
export { ${c.facade} } from '${from(p.facade, p.index)}';
export type { ${c.view} } from '${from(p.view, p.index)}';
export { ${c.contract} } from '${from(p.contract, p.index)}';
`,
    ),

    file(
      p.nestModule,
      `import { Module } from '@nestjs/common';
import { ${c.controller} } from '${from(p.controller, p.nestModule)}';
import { ${c.port} } from '${from(p.port, p.nestModule)}';
import { ${c.handler} } from '${from(p.handler, p.nestModule)}';
import { ${c.facade} } from '${from(p.facade, p.nestModule)}';
import { ${c.prismaModule} } from '${from(p.prismaModule, p.nestModule)}';
import { ${c.repository} } from '${from(p.repository, p.nestModule)}';

/**
 * The ${n.words} bounded context, scaffolded by \`npm run generate:module\`: say here what it owns and
 * does. Owns the \`${n.schema}\` schema. Other modules read it through ${c.facade} only.
 */
@Module({
  imports: [${c.prismaModule}],
  controllers: [${c.controller}],
  providers: [{ provide: ${c.port}, useClass: ${c.repository} }, ${c.handler}, ${c.facade}],
  exports: [${c.facade}],
})
export class ${c.nestModule} {}
`,
    ),

    file(
      p.rule,
      `import type { BusinessRule } from '@platform/ddd';

export const ${c.maxNameLength} = 200;

/** ${capitalized(article(a.words))} ${a.words} is found by its name: never blank, and short enough to show. */
export class ${c.rule} implements BusinessRule {
  readonly name = '${c.rule}';
  readonly message = \`${capitalized(article(a.words))} ${a.words}'s name must have between 1 and \${${c.maxNameLength}} characters besides spaces.\`;

  constructor(private readonly ${a.camel}Name: string) {}

  isBroken(): boolean {
    const trimmed = this.${a.camel}Name.trim();
    return trimmed.length === 0 || trimmed.length > ${c.maxNameLength};
  }
}
`,
    ),

    file(
      p.ruleSpec,
      `import { ${c.maxNameLength}, ${c.rule} } from './${basename(p.rule)}';

describe('${c.rule}', () => {
  it.each(['First', '  First  ', 'x'.repeat(${c.maxNameLength})])('holds for %j', (name) => {
    expect(new ${c.rule}(name).isBroken()).toBe(false);
  });
  it.each(['', '   ', 'x'.repeat(${c.maxNameLength} + 1)])('is broken by %j', (name) => {
    expect(new ${c.rule}(name).isBroken()).toBe(true);
  });
});
`,
    ),

    file(
      p.aggregate,
      `import { checkRules } from '@platform/ddd';
import { ${c.rule} } from '${from(p.rule, p.aggregate)}';

export interface ${c.state} {
  id: string;
  name: string;
}

/**
 * The sample aggregate of ${n.words}, scaffolded with the module: replace it with the module's own.
 * Plain TypeScript (no Nest, no Prisma): it guards its invariants with named rules, and
 * \`checkRules\` throws the first broken one, which the HTTP edge answers with a 422 named after it.
 */
export class ${a.pascal} {
  private constructor(private state: ${c.state}) {}

  static create(state: ${c.state}): ${a.pascal} {
    checkRules(new ${c.rule}(state.name));
    return new ${a.pascal}({ ...state, name: state.name.trim() });
  }

  /** From storage: what was saved held the rules when it was saved. */
  static restore(state: ${c.state}): ${a.pascal} {
    return new ${a.pascal}({ ...state });
  }

  get id(): string {
    return this.state.id;
  }

  rename(name: string): void {
    checkRules(new ${c.rule}(name));
    this.state = { ...this.state, name: name.trim() };
  }

  snapshot(): Readonly<${c.state}> {
    return { ...this.state };
  }
}
`,
    ),

    file(
      p.aggregateSpec,
      `import { BusinessRuleViolation } from '@platform/ddd';
import { ${a.pascal} } from './${basename(p.aggregate)}';

describe('${a.pascal}', () => {
  it('is created with its name trimmed', () => {
    expect(${a.pascal}.create({ id: '${c.sampleId}', name: '  First ' }).snapshot()).toEqual({ id: '${c.sampleId}', name: 'First' });
  });

  it('refuses a blank name, naming the rule', () => {
    const create = () => ${a.pascal}.create({ id: '${c.sampleId}', name: '  ' });
    expect(create).toThrow(BusinessRuleViolation);
    expect(create).toThrow(expect.objectContaining({ rule: '${c.rule}' }));
  });

  it('is renamed, and stays as it was when the new name breaks the rule', () => {
    const ${a.camel} = ${a.pascal}.create({ id: '${c.sampleId}', name: 'First' });
    ${a.camel}.rename(' Second ');
    expect(() => ${a.camel}.rename('')).toThrow(BusinessRuleViolation);
    expect(${a.camel}.snapshot()).toEqual({ id: '${c.sampleId}', name: 'Second' });
  });
});
`,
    ),

    file(
      p.view,
      `/** ${capitalized(article(a.words))} ${a.words} as the API and other modules see it. */
export interface ${c.view} {
  id: string;
  name: string;
}
`,
    ),

    file(
      p.port,
      `import type { ${a.pascal} } from '${from(p.aggregate, p.port)}';
import type { ${c.view} } from '${from(p.view, p.port)}';

/**
 * The ${n.words} module's storage port for ${a.plural.words}: an abstract class, so that it is also the
 * Nest injection token. Reads return views; writes take the aggregate. The Prisma implementation
 * is in infrastructure/persistence; the handler's spec uses one in memory.
 */
export abstract class ${c.port} {
  abstract findView(id: string): Promise<${c.view} | null>;
  /** Adds a new ${a.words}; false when one with its id exists already. */
  abstract add(${a.camel}: ${a.pascal}): Promise<boolean>;
}
`,
    ),

    file(
      p.query,
      `import { Query } from '@nestjs/cqrs';
import type { ${c.view} } from '${from(p.view, p.query)}';

/** One ${a.words} by id; null when there is none. */
export class ${c.query} extends Query<${c.view} | null> {
  constructor(readonly id: string) {
    super();
  }
}
`,
    ),

    file(
      p.handler,
      `import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ${c.port} } from '${from(p.port, p.handler)}';
import type { ${c.view} } from '${from(p.view, p.handler)}';
import { ${c.query} } from '${from(p.query, p.handler)}';

@QueryHandler(${c.query})
export class ${c.handler} implements IQueryHandler<${c.query}> {
  constructor(@Inject(${c.port}) private readonly ${a.plural.camel}: ${c.port}) {}

  execute({ id }: ${c.query}): Promise<${c.view} | null> {
    return this.${a.plural.camel}.findView(id);
  }
}
`,
    ),

    file(
      p.handlerSpec,
      `import { ${a.pascal} } from '${from(p.aggregate, p.handlerSpec)}';
import { ${c.port} } from '${from(p.port, p.handlerSpec)}';
import type { ${c.view} } from '${from(p.view, p.handlerSpec)}';
import { ${c.facade} } from '${from(p.facade, p.handlerSpec)}';
import { ${c.handler} } from '${from(p.handler, p.handlerSpec)}';
import { ${c.query} } from '${from(p.query, p.handlerSpec)}';

/** The port in memory: what a handler's unit test uses instead of the database. */
class InMemory${c.port} extends ${c.port} {
  private readonly rows = new Map<string, ${c.view}>();

  async findView(id: string): Promise<${c.view} | null> {
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }

  async add(${a.camel}: ${a.pascal}): Promise<boolean> {
    const { id, name } = ${a.camel}.snapshot();
    if (this.rows.has(id)) return false;
    this.rows.set(id, { id, name });
    return true;
  }
}

describe('${c.handler}', () => {
  let handler: ${c.handler};

  beforeEach(async () => {
    const repository = new InMemory${c.port}();
    await repository.add(${a.pascal}.create({ id: '${c.sampleId}', name: 'First' }));
    handler = new ${c.handler}(repository);
  });

  it('answers the ${a.words} with that id', async () => {
    expect(await handler.execute(new ${c.query}('${c.sampleId}'))).toEqual({ id: '${c.sampleId}', name: 'First' });
  });

  it('answers null for an unknown id', async () => {
    expect(await handler.execute(new ${c.query}('unknown'))).toBeNull();
  });

  it('is what ${c.facade}.${c.facadeMethod} returns, through the query bus', async () => {
    const queries = {
      execute: (query: unknown) => {
        expect(query).toBeInstanceOf(${c.query});
        return handler.execute(query as ${c.query});
      },
    };
    const facade = new ${c.facade}(queries as never);
    expect(await facade.${c.facadeMethod}('${c.sampleId}')).toEqual({ id: '${c.sampleId}', name: 'First' });
  });
});
`,
    ),

    file(
      p.facade,
      `import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { ${c.view} } from '${from(p.view, p.facade)}';
import { ${c.query} } from '${from(p.query, p.facade)}';

/**
 * The ${n.words} module as other modules may use it, synchronously and in-process. This class and the
 * types it returns are all that the module exports besides its Nest module and its contracts.
 */
@Injectable()
export class ${c.facade} {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  /** The ${a.words} with that id, or null when there is none. */
  ${c.facadeMethod}(id: string): Promise<${c.view} | null> {
    return this.queries.execute(new ${c.query}(id));
  }
}
`,
    ),

    file(
      p.prismaModule,
      `import { Module } from '@nestjs/common';
import { providePrismaClient } from '@platform/database';
import { PrismaClient } from './generated/client';

/**
 * ${capitalized(n.words)}'s Prisma client, in a module of its own so that a transaction plugin can import it
 * (see catalog's catalog-transactions.ts). On PostgreSQL it runs as the role ${n.role}, which
 * may use the \`${n.schema}\` schema and no other.
 */
@Module({
  providers: [providePrismaClient(PrismaClient, (options) => new PrismaClient(options), { schema: '${n.schema}' })],
  exports: [PrismaClient],
})
export class ${c.prismaModule} {}
`,
    ),

    file(
      p.repository,
      `import { Inject, Injectable } from '@nestjs/common';
import type { ${a.pascal} } from '${from(p.aggregate, p.repository)}';
import { ${c.port} } from '${from(p.port, p.repository)}';
import type { ${c.view} } from '${from(p.view, p.repository)}';
import { PrismaClient } from './generated/client';

/** ${capitalized(a.plural.words)} in \`${n.schema}.${a.plural.snake}\`, through the module's own Prisma client (its role). */
@Injectable()
export class ${c.repository} extends ${c.port} {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {
    super();
  }

  findView(id: string): Promise<${c.view} | null> {
    return this.prisma.${a.camel}.findUnique({ where: { id }, select: { id: true, name: true } });
  }

  async add(${a.camel}: ${a.pascal}): Promise<boolean> {
    const { id, name } = ${a.camel}.snapshot();
    const { count } = await this.prisma.${a.camel}.createMany({ data: [{ id, name }], skipDuplicates: true });
    return count === 1;
  }
}
`,
    ),

    file(
      p.dto,
      `import { z } from 'zod';

export const ${c.idParams} = z.strictObject({ id: z.string().min(1).max(64) });

export const ${c.response} = z
  .object({
    id: z.string(),
    name: z.string(),
  })
  .meta({ title: '${a.pascal}' });
`,
    ),

    file(
      p.controller,
      `import { Controller, Get, HttpStatus, Inject, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ResourceNotFound } from '@platform/ddd';
import { openApiSchema, ProblemResponses, ZodValidationPipe } from '@platform/http';
import type { z } from 'zod';
import type { ${c.view} } from '${from(p.view, p.controller)}';
import { ${c.query} } from '${from(p.query, p.controller)}';
import { ${c.idParams}, ${c.response} } from '${from(p.dto, p.controller)}';

@ApiTags('${n.module}')
@Controller('${c.route}')
export class ${c.controller} {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  @Get(':id')
  @ApiOperation({ summary: 'One ${a.words} (the sample route of a scaffolded module)' })
  @ApiParam({ name: 'id', example: '${c.sampleId}' })
  @ApiOkResponse({ schema: openApiSchema(${c.response}, 'output') })
  @ProblemResponses(HttpStatus.BAD_REQUEST, HttpStatus.UNAUTHORIZED, HttpStatus.NOT_FOUND)
  async get(@Param(new ZodValidationPipe(${c.idParams})) { id }: z.output<typeof ${c.idParams}>): Promise<${c.view}> {
    const ${a.camel} = await this.queries.execute(new ${c.query}(id));
    if (!${a.camel}) {
      throw new ResourceNotFound('${a.pascal}', id);
    }
    return ${a.camel};
  }
}
`,
    ),

    file(
      p.contract,
      `import { defineEvent } from '@platform/messaging';
import { z } from 'zod';

/**
 * ${capitalized(article(a.words))} ${a.words} was created. Subject: the ${a.words}'s id. The sample contract of a
 * scaffolded module: nothing records it yet (see the module's README, "What to copy next").
 */
export const ${c.contract} = defineEvent(
  '${c.eventType}',
  z.object({
    id: z.string(),
    name: z.string(),
  }),
);

/** The CloudEvents \`source\` of every event the ${n.words} module publishes. */
export const ${c.eventSource} = '/modules/${n.module}';
`,
    ),

    file(
      p.contractsReadme,
      `# ${n.module} contracts

The integration events the ${n.words} module publishes, one file per event and version, exported through
\`${n.alias}\`. Other modules react to them through the broker.

| event | subject | when |
| --- | --- | --- |
| \`${c.eventType}\` ([${basename(p.contract)}.ts](${basename(p.contract)}.ts)) | the ${a.words}'s id | ${article(a.words)} ${a.words} was created (a sample: nothing records it yet) |

A published version never changes shape; a breaking change is a new version.
`,
    ),
  ];
}

/** `./x` or `../y/x` from one repository file to another, without the extension. */
function relative(fromFile: string, toFile: string): string {
  const fromDir = fromFile.split('/').slice(0, -1);
  const to = toFile.replace(/\.ts$/, '').split('/');
  let common = 0;
  while (common < fromDir.length && fromDir[common] === to[common]) common += 1;
  const up = fromDir.length - common;
  const rest = to.slice(common).join('/');
  return up === 0 ? `./${rest}` : `${'../'.repeat(up)}${rest}`;
}

function basename(file: string): string {
  return file.split('/').pop()!.replace(/\.ts$/, '');
}
