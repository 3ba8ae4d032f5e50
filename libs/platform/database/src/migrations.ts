import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseConnection, SqlSession } from './database-connection';
import { SCHEMA_NAME } from './module-role';

export interface MigrationLog {
  log(message: string): void;
}

interface Migration {
  schema: string;
  name: string;
  sql: string;
  checksum: string;
}

interface AppliedMigration {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

const MIGRATIONS_LOCK = 'SELECT pg_advisory_lock(hashtext($1))';
const MIGRATIONS_UNLOCK = 'SELECT pg_advisory_unlock(hashtext($1))';
const LOCK_NAME = 'nest-modulith:migrations';

/**
 * Finds every module's migrations: prisma/<schema>/migrations/<name>/migration.sql, where the
 * folder name is the PostgreSQL schema the module owns. Nothing here knows the modules by name.
 */
export function discoverMigrations(rootDir: string): Migration[] {
  if (!existsSync(rootDir)) {
    throw new Error(`Migrations folder '${rootDir}' does not exist (set MIGRATIONS_DIR).`);
  }
  return readdirSync(rootDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(rootDir, entry.name, 'migrations')))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((moduleDir) => {
      if (!SCHEMA_NAME.test(moduleDir.name)) {
        throw new Error(`'${moduleDir.name}' is not a valid schema name for a module's migrations folder.`);
      }
      const migrationsDir = path.join(rootDir, moduleDir.name, 'migrations');
      return readdirSync(migrationsDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
        .map((name) => {
          const sql = readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
          return { schema: moduleDir.name, name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
        });
    });
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so that
 * instances starting together apply each migration once. History is kept per module schema in
 * Prisma's `_prisma_migrations` format, so `prisma migrate deploy` can take over where the native
 * engine is available (docs/adr/0003-migrations-without-the-schema-engine.md).
 */
export async function applyMigrations(
  connection: DatabaseConnection,
  rootDir: string,
  logger: MigrationLog,
): Promise<number> {
  const migrations = discoverMigrations(rootDir);
  return connection.withSession(async (session) => {
    await session.query(MIGRATIONS_LOCK, [LOCK_NAME]);
    try {
      let applied = 0;
      for (const schema of new Set(migrations.map((migration) => migration.schema))) {
        const history = await readHistory(session, schema);
        for (const migration of migrations.filter((candidate) => candidate.schema === schema)) {
          if (await applyOne(session, migration, history.get(migration.name))) {
            logger.log(`Applied migration ${schema}/${migration.name}`);
            applied += 1;
          }
        }
      }
      return applied;
    } finally {
      await session.query(MIGRATIONS_UNLOCK, [LOCK_NAME]);
    }
  });
}

/**
 * The migrations under `rootDir` that the database has not applied yet (`<schema>/<name>`), read
 * without writing or locking anything: what a pod of a new version waits for before it starts.
 * A migration applied with other contents, or started and not finished, is an error, not pending:
 * waiting would not end it.
 */
export async function pendingMigrations(connection: DatabaseConnection, rootDir: string): Promise<string[]> {
  const migrations = discoverMigrations(rootDir);
  return connection.withSession(async (session) => {
    const pending: string[] = [];
    for (const schema of new Set(migrations.map((migration) => migration.schema))) {
      const [table] = await session.query<{ exists: boolean }>(
        `SELECT to_regclass('"${schema}"."_prisma_migrations"') IS NOT NULL AS exists`,
      );
      const history = table?.exists
        ? await readAppliedMigrations(session, schema)
        : new Map<string, AppliedMigration>();
      for (const migration of migrations.filter((candidate) => candidate.schema === schema)) {
        const applied = history.get(migration.name);
        if (applied) {
          assertAppliedAsWritten(migration, applied);
        } else {
          pending.push(`${schema}/${migration.name}`);
        }
      }
    }
    return pending;
  });
}

async function readHistory(session: SqlSession, schema: string): Promise<Map<string, AppliedMigration>> {
  await session.executeScript(`
    CREATE SCHEMA IF NOT EXISTS "${schema}";
    CREATE TABLE IF NOT EXISTS "${schema}"."_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    );`);
  return readAppliedMigrations(session, schema);
}

async function readAppliedMigrations(session: SqlSession, schema: string): Promise<Map<string, AppliedMigration>> {
  const rows = await session.query<AppliedMigration & { [column: string]: unknown }>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "${schema}"."_prisma_migrations"`,
  );
  return new Map(rows.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row]));
}

/** The database's migration history contradicts the files: no retry or wait resolves it, a person must. */
export class MigrationHistoryConflict extends Error {}

/** An applied migration must be the one on disk, and finished. */
function assertAppliedAsWritten(migration: Migration, applied: AppliedMigration): void {
  const id = `${migration.schema}/${migration.name}`;
  if (!applied.finished_at) {
    throw new MigrationHistoryConflict(
      `Migration ${id} started earlier and did not finish; resolve it by hand before starting again.`,
    );
  }
  if (applied.checksum !== migration.checksum) {
    throw new MigrationHistoryConflict(
      `Migration ${id} was changed after it was applied. Add a new migration instead of editing an applied one.`,
    );
  }
}

async function applyOne(session: SqlSession, migration: Migration, applied?: AppliedMigration): Promise<boolean> {
  const id = `${migration.schema}/${migration.name}`;
  if (applied) {
    assertAppliedAsWritten(migration, applied);
    return false;
  }
  await session.query('BEGIN');
  try {
    await session.executeScript(migration.sql);
    await session.query(
      `INSERT INTO "${migration.schema}"."_prisma_migrations"
         (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await session.query('COMMIT');
    return true;
  } catch (error) {
    await session.query('ROLLBACK');
    throw new Error(`Migration ${id} failed: ${(error as Error).message}`, { cause: error });
  }
}
