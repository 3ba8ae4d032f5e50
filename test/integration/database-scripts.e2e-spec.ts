import {
  type DatabaseConnection,
  EmbeddedConnection,
  IN_MEMORY,
  PostgresConnection,
  sqlLiteral,
} from '@platform/database';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { sleep, waitFor } from '../support/wait-for';

/** Strings a literal must carry through unchanged. */
const AWKWARD = ["it's", "''", 'back\\slash', "\\'; DROP TABLE t; --", 'host:1234:ordering', 'ünïcødé ✓', ''];

/**
 * `SqlSession.queryScript`: several statements in one round trip, as one implicit transaction, each
 * statement with its own snapshot. The outbox relay's claim (lock, then claim) depends on each of
 * these properties, on both databases.
 */
function scriptBehaviour(open: () => Promise<DatabaseConnection>) {
  let connection: DatabaseConnection;
  beforeEach(async () => {
    connection = await open();
    await connection.withSession((session) =>
      session.executeScript('DROP TABLE IF EXISTS script_t; CREATE TABLE script_t (id int PRIMARY KEY, doc jsonb)'),
    );
  });
  afterEach(() => connection.close());

  it('returns the rows of the last statement, with their types read as query() reads them', async () => {
    const rows = await connection.withSession((session) =>
      session.queryScript<{ n: number; at: Date; doc: unknown; id: string }>(
        `INSERT INTO script_t VALUES (1, '{"a":[1,"x"]}');
         SELECT 7::int AS n, '2026-01-02T03:04:05Z'::timestamptz AS at, doc, id::text AS id FROM script_t`,
      ),
    );
    expect(rows).toEqual([{ n: 7, at: new Date('2026-01-02T03:04:05Z'), doc: { a: [1, 'x'] }, id: '1' }]);
    expect(await connection.withSession((session) => session.queryScript('SELECT 1 AS one WHERE false'))).toEqual([]);
  });

  it('commits all the statements together, or none of them when one fails', async () => {
    await expect(
      connection.withSession((session) =>
        session.queryScript(
          "INSERT INTO script_t VALUES (1, '{}'); SELECT 1 / 0; INSERT INTO script_t VALUES (2, '{}')",
        ),
      ),
    ).rejects.toThrow('division by zero');
    // Nothing of the failed script is left, and the session is usable (no transaction left open).
    const rows = await connection.withSession((session) => session.query('SELECT count(*)::int AS n FROM script_t'));
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('joins the transaction it runs in', async () => {
    await expect(
      connection.withTransaction(async (session) => {
        await session.queryScript("INSERT INTO script_t VALUES (1, '{}'); INSERT INTO script_t VALUES (2, '{}')");
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const rows = await connection.withSession((session) => session.query('SELECT count(*)::int AS n FROM script_t'));
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('holds a transaction-scoped advisory lock until the end of the script, and no longer', async () => {
    // pg_locks spans the cluster: other suites running at the same time hold advisory locks in their own databases.
    const advisoryLocks = `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
    const during = await connection.withSession((session) =>
      session.queryScript(`SELECT pg_advisory_xact_lock(hashtext('script')); ${advisoryLocks}`),
    );
    expect(during).toEqual([{ n: 1 }]);
    expect(await connection.withSession((session) => session.query(advisoryLocks))).toEqual([{ n: 0 }]);
  });

  it('reads back every string sqlLiteral quotes, as it was', async () => {
    const rows = await connection.withSession((session) =>
      session.queryScript<{ value: string }>(
        `SELECT 1; ${AWKWARD.map((value, i) => `SELECT ${i} AS i, ${sqlLiteral(value)} AS value`).join(' UNION ALL ')} ORDER BY i`,
      ),
    );
    expect(rows.map((row) => row.value)).toEqual(AWKWARD);
  });
}

describe('queryScript (PostgreSQL)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  scriptBehaviour(async () => PostgresConnection.open(database.url, 4, 'script-test'));

  it('takes each statement’s snapshot when it starts: what commits while the lock is awaited is seen', async () => {
    const connection = PostgresConnection.open(database.url, 4, 'script-test');
    const holder = new Client({ connectionString: database.url });
    const writer = new Client({ connectionString: database.url });
    await holder.connect();
    await writer.connect();
    try {
      await connection.withSession((session) =>
        session.executeScript(
          'DROP TABLE IF EXISTS script_t; CREATE TABLE script_t (id int PRIMARY KEY, txid xid8 DEFAULT pg_current_xact_id())',
        ),
      );
      await holder.query('BEGIN');
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('claim'))");
      const script = connection.withSession((session) =>
        session.queryScript<{ n: number; visible: boolean }>(
          `SELECT pg_advisory_xact_lock(hashtext('claim'));
           SELECT count(*)::int AS n, bool_and(pg_visible_in_snapshot(txid, pg_current_snapshot())) AS visible
           FROM script_t`,
        ),
      );
      const waiting = async () =>
        (
          await writer.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
          )
        ).rows[0].n > 0;
      await waitFor(waiting);
      // Committed after the script was sent, while its first statement waits for the lock.
      await writer.query('INSERT INTO script_t (id) VALUES (1)');
      await sleep(50);
      await holder.query('COMMIT');
      // The second statement's snapshot (the one the horizon is read from) is taken after the lock
      // was granted: the writer's transaction is over in it.
      expect(await script).toEqual([{ n: 1, visible: true }]);
    } finally {
      await holder.end();
      await writer.end();
      await connection.close();
    }
  });

  it('quotes backslashes so that they read the same with standard_conforming_strings off', async () => {
    const connection = PostgresConnection.open(database.url, 1, 'script-test');
    try {
      const rows = await connection.withSession((session) =>
        session.queryScript<{ value: string }>(
          `SET standard_conforming_strings = off; SELECT ${sqlLiteral("\\'; x")} AS value`,
        ),
      );
      expect(rows).toEqual([{ value: "\\'; x" }]);
    } finally {
      await connection.close();
    }
  });
});

describe('queryScript (embedded PGlite)', () => {
  scriptBehaviour(() => EmbeddedConnection.open(IN_MEMORY));
});
