import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModuleNames } from '../names';
import type { TemplateFile } from './module-source';

/**
 * A new module's data, `prisma/<schema>/`: its schema file and its migrations. The platform's
 * tables and the module's role are not written here but copied, at generation time, from where the
 * repository keeps them for every module to copy (prisma/README.md says so), so that a scaffolded
 * module gets exactly what the existing ones have:
 *
 * - the outbox: `prisma/ordering/migrations/20261122010000_create_outbox`, `ordering` replaced by the
 *   schema (libs/platform/outbox/README.md, "The table, in the module's migration"; catalog's,
 *   inventory's and payments' are that file);
 * - the inbox: the SQL block of libs/platform/inbox/README.md, "The tables, in the module's migration";
 * - the role: the SQL block of prisma/README.md, "Data ownership", which
 *   test/integration/data-ownership.e2e-spec.ts looks for in every module's migrations.
 */

export const OUTBOX_SOURCE = 'prisma/ordering/migrations/20261122010000_create_outbox/migration.sql';
export const INBOX_SOURCE = 'libs/platform/inbox/README.md';
export const ROLE_SOURCE = 'prisma/README.md';

export interface MigrationNames {
  schema: string;
  outbox: string;
  inbox: string;
  role: string;
}

/** Folder names of the module's migrations: `<UTC timestamp>_<what>`, one second apart, in the order they run. */
export function migrationNames(n: ModuleNames, now: Date): MigrationNames {
  const at = (seconds: number) =>
    new Date(Math.floor(now.getTime() / 1000) * 1000 + seconds * 1000)
      .toISOString()
      .replace(/\.\d+Z$/, '')
      .replace(/\D/g, '');
  return {
    schema: `${at(0)}_create_${n.schema}`,
    outbox: `${at(1)}_create_outbox`,
    inbox: `${at(2)}_create_inbox`,
    role: `${at(3)}_create_module_role`,
  };
}

export function databaseFiles(root: string, n: ModuleNames, now: Date): TemplateFile[] {
  const a = n.aggregate;
  const table = a.plural.snake;
  const migrations = migrationNames(n, now);
  const migration = (name: string, content: string): TemplateFile => ({
    path: `prisma/${n.schema}/migrations/${name}/migration.sql`,
    content,
  });

  return [
    {
      path: `prisma/${n.schema}/schema.prisma`,
      content: `// The ${n.words} module's data: it owns the \`${n.schema}\` PostgreSQL schema and nothing else.
// Its client is generated into the module (libs/${n.module}) so no other module can import its models.
// After a change here: a migration (prisma/README.md, "Adding a migration"), then \`npm run prisma:generate\`.

generator client {
  provider            = "prisma-client"
  output              = "../../libs/${n.module}/src/infrastructure/persistence/generated"
  moduleFormat        = "cjs"
  runtime             = "nodejs"
  importFileExtension = ""
}

datasource db {
  provider = "postgresql"
  schemas  = ["${n.schema}"]
}

model ${a.pascal} {
  id        String   @id @db.VarChar(64)
  name      String   @db.VarChar(200)
  createdAt DateTime @default(now()) @map("created_at") @db.Timestamptz(3)

  @@map("${table}")
  @@schema("${n.schema}")
}
`,
    },

    migration(
      migrations.schema,
      `-- The ${n.schema} schema (scaffolded by \`npm run generate:module\`) and the table of its sample aggregate, ${a.pascal}.
CREATE SCHEMA IF NOT EXISTS "${n.schema}";

CREATE TABLE "${n.schema}"."${table}" (
    "id" VARCHAR(64) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "${table}_pkey" PRIMARY KEY ("id"),
    -- ${a.pascal}NameMustNotBeBlank (domain/rules) holds here too.
    CONSTRAINT "${table}_name_not_blank" CHECK (btrim("name") <> '')
);
`,
    ),

    migration(migrations.outbox, read(root, OUTBOX_SOURCE).replaceAll('ordering', n.schema)),

    migration(
      migrations.inbox,
      `-- Copied from libs/platform/inbox/README.md with <schema> = ${n.schema} (scaffolded by \`npm run generate:module\`):
-- the tables of the module's first consumer.

${sqlBlock(root, INBOX_SOURCE, "## The tables, in the module's migration").replaceAll('<schema>', n.schema)}`,
    ),

    migration(
      migrations.role,
      `-- Copied from prisma/README.md ("Data ownership") with <schema> = ${n.schema}.

${sqlBlock(root, ROLE_SOURCE, '## Data ownership').replaceAll('<schema>', n.schema)}`,
    ),
  ];
}

function read(root: string, file: string): string {
  const full = path.join(root, file);
  if (!fs.existsSync(full)) {
    throw new Error(`${file} is missing: the generator copies a module's platform tables and role from it.`);
  }
  return fs.readFileSync(full, 'utf8');
}

/** The first ```sql block after `heading` in a markdown file, as the data-ownership test reads it. */
function sqlBlock(root: string, file: string, heading: string): string {
  const text = read(root, file);
  const start = text.indexOf(`\n${heading}\n`);
  const block = start < 0 ? null : /```sql\n([\s\S]*?)```/.exec(text.slice(start));
  if (!block) {
    throw new Error(`${file} has no \`\`\`sql block under "${heading}": the generator copies a module's SQL from it.`);
  }
  return block[1]!;
}
