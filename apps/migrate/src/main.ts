// The migrations as a deployable of their own, so that a deployment migrates once, before the new
// version starts (deploy/k8s: a Job, and an init container in every api and worker pod):
//
//   node dist/apps/migrate/main.js          applies the pending migrations and exits (npm run db:migrate)
//   node dist/apps/migrate/main.js --wait   waits until every migration of this build is applied
//
// Both read the apps' configuration (DATABASE_URL, MIGRATIONS_DIR, MIGRATIONS_WAIT_TIMEOUT_MS).
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigurationError, loadConfig } from '@platform/config';
import {
  applyMigrations,
  type DatabaseConnection,
  EmbeddedConnection,
  MigrationHistoryConflict,
  pendingMigrations,
  PostgresConnection,
} from '@platform/database';

const APPLICATION_NAME = 'nest-modulith-migrate';
const WAIT_POLL_MS = 2_000;
const WAIT_REPORT_EVERY_MS = 30_000;

async function migrate(): Promise<void> {
  const { database } = loadConfig();
  const connection: DatabaseConnection =
    database.kind === 'postgres'
      ? PostgresConnection.open(database.url, 1, APPLICATION_NAME)
      : await EmbeddedConnection.open(database.dataDir);
  try {
    const applied = await applyMigrations(connection, path.resolve(database.migrationsDir), console);
    console.log(applied > 0 ? `${applied} migrations applied` : 'Database schema is up to date');
  } finally {
    await connection.close();
  }
}

/**
 * Polls until nothing is pending. A database that does not answer yet is waited for too (the pod
 * may start before it); a migration applied with other contents ends the wait at once.
 */
async function waitForMigrations(): Promise<void> {
  const { database } = loadConfig();
  if (database.kind !== 'postgres') {
    throw new ConfigurationError(['--wait needs DATABASE_URL: the embedded database is migrated by the api itself']);
  }
  const migrationsDir = path.resolve(database.migrationsDir);
  const deadline = Date.now() + database.migrationsWaitTimeoutMs;
  const connection = PostgresConnection.open(database.url, 1, APPLICATION_NAME);
  let nextReportAt = 0;
  let lastState = 'not checked yet';
  try {
    while (Date.now() < deadline) {
      try {
        const pending = await pendingMigrations(connection, migrationsDir);
        if (pending.length === 0) {
          console.log('Database schema is up to date: every migration of this build is applied');
          return;
        }
        lastState = `${pending.length} pending: ${pending.join(', ')}`;
      } catch (error) {
        if (error instanceof MigrationHistoryConflict) {
          throw error;
        }
        lastState = `database unavailable: ${(error as Error).message}`;
      }
      if (Date.now() >= nextReportAt) {
        console.log(`Waiting for the migrations (${lastState})`);
        nextReportAt = Date.now() + WAIT_REPORT_EVERY_MS;
      }
      await sleep(Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())));
    }
    throw new Error(
      `The migrations were not applied within ${database.migrationsWaitTimeoutMs} ms (MIGRATIONS_WAIT_TIMEOUT_MS): ${lastState}`,
    );
  } finally {
    await connection.close();
  }
}

const wait = process.argv.includes('--wait');
(wait ? waitForMigrations() : migrate()).catch((error: unknown) => {
  console.error(error instanceof ConfigurationError ? error.message : error instanceof Error ? error.message : error);
  process.exit(1);
});
