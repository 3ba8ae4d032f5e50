import { Client } from 'pg';
import { ADMIN_DATABASE_URL, TEST_DATABASE_PREFIX } from './test-database';

/** Older than this, a test database was left by an interrupted run, not by one still going. */
const ABANDONED_AFTER_SECONDS = 2 * 60 * 60;

/**
 * Fails the run at once, with the fix, when the test database server cannot be reached, and drops
 * test databases abandoned by interrupted runs (never those of a run that may still be going).
 */
export default async function globalSetup(): Promise<void> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
      [TEST_DATABASE_PREFIX],
    );
    const now = Date.now() / 1000;
    for (const { datname } of rows) {
      const createdAt = Number(datname.slice(TEST_DATABASE_PREFIX.length).split('_')[0]);
      if (!(createdAt > now - ABANDONED_AFTER_SECONDS)) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
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
