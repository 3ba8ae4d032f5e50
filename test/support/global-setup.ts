import { Client } from 'pg';
import { ADMIN_DATABASE_URL } from './test-database';

/** Fails the run at once, with the fix, when the test database server cannot be reached. */
export default async function globalSetup(): Promise<void> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    // Databases left behind by an interrupted earlier run.
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'nest_modulith_test_%'`,
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } catch (error) {
    throw new Error(
      `The tests need PostgreSQL at ${ADMIN_DATABASE_URL} (set TEST_DATABASE_URL to change it): ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
