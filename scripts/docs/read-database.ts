import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A module's data, from `prisma/<schema>/`: the schema.prisma whose client is generated into the
 * module says which PostgreSQL schema the module owns; its migrations say which tables exist. The
 * migrations, not schema.prisma, are the truth: the platform's tables (outbox, inbox) are created
 * by migrations and have no Prisma model.
 */
export interface ModuleDatabase {
  /** The PostgreSQL schema, from the datasource's `schemas`. */
  schema: string;
  /** `prisma/<schema>/schema.prisma`. */
  prismaSchema: string;
  /** Migration folder names, in the order they apply. */
  migrations: string[];
  /** Database roles the migrations create (the role the module's client runs as). */
  roles: string[];
  tables: Table[];
}

export interface Table {
  name: string;
  /** Columns in order, as the migrations leave them (added ones last, dropped ones gone). */
  columns: string[];
  /** Named CHECK constraints, as the migrations leave them. */
  checks: string[];
  /** The Prisma model mapped to the table, if any. */
  model: string | undefined;
  /** The migration that creates it. */
  createdBy: string;
}

/** The database of the module whose code is in `libs/<module>`, or undefined if it has none. */
export function readModuleDatabase(root: string, module: string): ModuleDatabase | undefined {
  const prismaDir = path.join(root, 'prisma');
  if (!fs.existsSync(prismaDir)) return undefined;
  for (const folder of fs.readdirSync(prismaDir).sort()) {
    const file = `prisma/${folder}/schema.prisma`;
    if (!fs.existsSync(path.join(root, file))) continue;
    const prisma = fs.readFileSync(path.join(root, file), 'utf8');
    // The client is generated into the module that owns the schema (ADR 0004): that is the link.
    const output = /output\s*=\s*"([^"]+)"/.exec(prisma)?.[1] ?? '';
    if (!path.posix.join(`prisma/${folder}`, output).startsWith(`libs/${module}/`)) continue;
    const schema = /schemas\s*=\s*\[\s*"([^"]+)"/.exec(prisma)?.[1] ?? folder;
    const migrations = listMigrations(root, `prisma/${folder}/migrations`);
    return {
      schema,
      prismaSchema: file,
      migrations: migrations.map((m) => m.name),
      roles: migrations.flatMap((m) => [...m.sql.matchAll(/CREATE ROLE "?(\w+)"?/gi)].map((r) => r[1]!)),
      tables: tablesOf(migrations, prisma),
    };
  }
  return undefined;
}

interface Migration {
  name: string;
  sql: string;
}

function listMigrations(root: string, dir: string): Migration[] {
  if (!fs.existsSync(path.join(root, dir))) return [];
  return fs
    .readdirSync(path.join(root, dir))
    .filter((name) => fs.existsSync(path.join(root, dir, name, 'migration.sql')))
    .sort()
    .map((name) => ({
      name,
      sql: withoutComments(fs.readFileSync(path.join(root, dir, name, 'migration.sql'), 'utf8')),
    }));
}

/** `-- ...` comments removed, so that a column named in a comment is not taken for one. */
function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '');
}

const IDENT = String.raw`"?(\w+)"?`;
const QUALIFIED = String.raw`(?:"?\w+"?\.)?${IDENT}`;

/**
 * Replays the migrations' CREATE TABLE and ALTER TABLE statements, as far as the catalog needs:
 * columns added and dropped, CHECK constraints added and dropped. Indexes, triggers and functions
 * are left to the migrations themselves.
 */
function tablesOf(migrations: Migration[], prisma: string): Table[] {
  const tables = new Map<string, Table>();
  const models = prismaModels(prisma);
  for (const { name: migration, sql } of migrations) {
    for (const statement of sql.split(/;\s*$/m)) {
      const created = new RegExp(String.raw`CREATE TABLE (?:IF NOT EXISTS )?${QUALIFIED}\s*\(([\s\S]*)\)`, 'i').exec(
        statement,
      );
      if (created) {
        const [, table = '', body = ''] = created;
        tables.set(table, {
          name: table,
          columns: [...body.matchAll(new RegExp(String.raw`^\s*"(\w+)"\s+[A-Za-z]`, 'gm'))].map((m) => m[1]!),
          checks: [...body.matchAll(new RegExp(String.raw`CONSTRAINT ${IDENT}\s+CHECK`, 'gi'))].map((m) => m[1]!),
          model: models.get(table),
          createdBy: migration,
        });
        continue;
      }
      const altered = new RegExp(String.raw`ALTER TABLE (?:ONLY )?${QUALIFIED}([\s\S]*)`, 'i').exec(statement);
      const table = altered && tables.get(altered[1]!);
      if (table) alter(table, altered[2]!);
    }
  }
  return [...tables.values()];
}

function alter(table: Table, actions: string): void {
  for (const m of actions.matchAll(new RegExp(String.raw`ADD COLUMN (?:IF NOT EXISTS )?${IDENT}`, 'gi'))) {
    if (!table.columns.includes(m[1]!)) table.columns.push(m[1]!);
  }
  for (const m of actions.matchAll(new RegExp(String.raw`DROP COLUMN (?:IF EXISTS )?${IDENT}`, 'gi'))) {
    table.columns = table.columns.filter((c) => c !== m[1]);
  }
  for (const m of actions.matchAll(new RegExp(String.raw`DROP CONSTRAINT (?:IF EXISTS )?${IDENT}`, 'gi'))) {
    table.checks = table.checks.filter((c) => c !== m[1]);
  }
  for (const m of actions.matchAll(new RegExp(String.raw`ADD CONSTRAINT ${IDENT}\s+CHECK`, 'gi'))) {
    if (!table.checks.includes(m[1]!)) table.checks.push(m[1]!);
  }
}

/** Table name -> Prisma model name: `@@map("orders")`, or the model's own name. */
function prismaModels(prisma: string): Map<string, string> {
  const models = new Map<string, string>();
  for (const [, model = '', body = ''] of prisma.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    models.set(/@@map\("([^"]+)"\)/.exec(body)?.[1] ?? model, model);
  }
  return models;
}
