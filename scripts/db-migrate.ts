// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and
// exits. For setups that start the app with DATABASE_MIGRATE_ON_START=false.
import path from 'node:path';
import { ConfigurationError, loadConfig } from '@platform/config';
import { applyMigrations, type DatabaseConnection, EmbeddedConnection, PostgresConnection } from '@platform/database';

async function main(): Promise<void> {
  const { database } = loadConfig();
  const connection: DatabaseConnection =
    database.kind === 'postgres'
      ? PostgresConnection.open(database.url, 1, 'nest-modulith-migrate')
      : await EmbeddedConnection.open(database.dataDir);
  try {
    const applied = await applyMigrations(connection, path.resolve(database.migrationsDir), console);
    console.log(applied > 0 ? `${applied} migrations applied` : 'Database schema is up to date');
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigurationError || error instanceof Error ? error.message : error);
  process.exit(1);
});
