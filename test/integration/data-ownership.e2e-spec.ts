import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getTransactionHostToken } from '@nestjs-cls/transactional';
import {
  activeTransactionSql,
  applyMigrations,
  discoverMigrations,
  moduleRole,
  PostgresConnection,
  prismaSql,
  type SqlExecutor,
} from '@platform/database';
import * as Catalog from '../../libs/catalog/src/infrastructure/persistence/generated/client';
import * as Inventory from '../../libs/inventory/src/infrastructure/persistence/generated/client';
import * as Ordering from '../../libs/ordering/src/infrastructure/persistence/generated/client';
import * as Payments from '../../libs/payments/src/infrastructure/persistence/generated/client';
import { startTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase, queryDatabase, type TestDatabase } from '../support/test-database';
import { sleep, waitFor } from '../support/wait-for';

/**
 * Data ownership (docs/adr/0012-one-database-role-per-module.md): a module's code reads and writes
 * its own schema only, and PostgreSQL enforces it. Each module's Prisma client runs as its role,
 * nest_modulith_<schema>, which its migration creates with privileges on its schema and nothing else.
 */

/** Every module's schema: the folders of prisma/ that hold migrations. */
const SCHEMAS = [...new Set(discoverMigrations(path.resolve('prisma')).map((migration) => migration.schema))];

/** A client's raw SQL and interactive transactions: what every generated PrismaClient has. */
interface RawClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $transaction<T>(work: (tx: RawClient) => Promise<T>): Promise<T>;
  $disconnect(): Promise<void>;
}

const CLIENTS: Record<
  string,
  new (options: { adapter: ReturnType<PostgresConnection['prismaAdapter']> }) => RawClient
> = {
  catalog: Catalog.PrismaClient as never,
  inventory: Inventory.PrismaClient as never,
  ordering: Ordering.PrismaClient as never,
  payments: Payments.PrismaClient as never,
};

/** An event row for `schema`'s outbox (the platform's table, written by the module's transactions). */
const insertIntoOutbox = (schema: string) =>
  `INSERT INTO "${schema}"."outbox" (event_id, event_type, source, subject, occurred_at, payload)
   VALUES (gen_random_uuid(), 'test.data-ownership.v1', '/test', 'subject', now(), '{}') RETURNING id, txid::text`;

const otherSchemas = (schema: string) => SCHEMAS.filter((other) => other !== schema);

describe('Data ownership: each module’s client runs as its role, which may use its own schema only (PostgreSQL)', () => {
  let database: TestDatabase;
  let connection: PostgresConnection;
  const clients = new Map<string, RawClient>();
  /** Each schema's tables, as the owner sees them, `_prisma_migrations` left out. */
  let tables: Map<string, string[]>;

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = PostgresConnection.open(database.url, 2, 'data-ownership');
    await applyMigrations(connection, path.resolve('prisma'), { log: () => undefined });
    for (const schema of SCHEMAS) {
      clients.set(schema, new CLIENTS[schema]!({ adapter: connection.prismaAdapter(schema) }));
    }
    const rows = await queryDatabase<{ schema: string; table: string }>(
      database.url,
      `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
       WHERE table_schema = ANY($1) AND table_name <> '_prisma_migrations' ORDER BY 1, 2`,
      [SCHEMAS],
    );
    tables = new Map(
      SCHEMAS.map((schema) => [schema, rows.filter((row) => row.schema === schema).map((row) => row.table)]),
    );
  });
  afterAll(async () => {
    await Promise.all([...clients.values()].map((client) => client.$disconnect()));
    await connection.close();
    await database.drop();
  });

  const client = (schema: string) => clients.get(schema)!;

  it('knows every module, and each module’s migrations create its role from the block in prisma/README.md', () => {
    expect(SCHEMAS).toEqual(expect.arrayContaining(['catalog', 'inventory', 'ordering', 'payments']));
    expect(Object.keys(CLIENTS).sort()).toEqual([...SCHEMAS].sort());
    const readme = readFileSync(path.resolve('prisma/README.md'), 'utf8');
    const template = /## Data ownership[\s\S]*?```sql\n([\s\S]*?)```/.exec(readme)![1]!;
    const migrations = discoverMigrations(path.resolve('prisma'));
    for (const schema of SCHEMAS) {
      const own = migrations.filter((migration) => migration.schema === schema);
      expect({
        schema,
        hasRoleMigration: own.some((m) => m.sql.includes(template.replaceAll('<schema>', schema))),
      }).toEqual({
        schema,
        hasRoleMigration: true,
      });
    }
  });

  it.each(SCHEMAS)('%s: its client runs as its role, outside and inside transactions', async (schema) => {
    const role = moduleRole(schema);
    const [outside] = await client(schema).$queryRawUnsafe<{ user: string }[]>('SELECT current_user AS "user"');
    const [inside] = await client(schema).$transaction((tx) =>
      tx.$queryRawUnsafe<{ user: string }[]>('SELECT current_user AS "user"'),
    );
    expect([outside!.user, inside!.user]).toEqual([role, role]);
  });

  it.each(SCHEMAS)(
    '%s: reads every table of its schema and writes its outbox (identity, xid8 default, NOTIFY trigger) and inbox',
    async (schema) => {
      const sql = prismaSql(client(schema));
      for (const table of tables.get(schema)!) {
        await expect(sql.query(`SELECT count(*)::int AS n FROM "${schema}"."${table}"`)).resolves.toHaveLength(1);
      }
      let notified = 0;
      const unlisten = await connection.listen(`${schema}_outbox`, () => (notified += 1));
      try {
        const written = await client(schema).$transaction(async (tx) => {
          const own: SqlExecutor = prismaSql(tx);
          await own.query(`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended('data-ownership', 0))`);
          const [event] = await own.query<{ id: bigint; txid: string }>(insertIntoOutbox(schema));
          await own.query(`UPDATE "${schema}"."outbox" SET status = 'PUBLISHED', published_at = now() WHERE id = $1`, [
            event!.id,
          ]);
          await own.query(`INSERT INTO "${schema}"."inbox" (consumer, message_id) VALUES ('test', gen_random_uuid())`);
          return event!;
        });
        expect(written.txid).toMatch(/^\d+$/);
        await waitFor(() => notified > 0, 5_000);
        await sql.query(`DELETE FROM "${schema}"."outbox" WHERE id = $1`, [written.id]);
        await sql.query(`DELETE FROM "${schema}"."inbox" WHERE consumer = 'test'`);
      } finally {
        await unlisten();
      }
    },
  );

  it.each(SCHEMAS)('%s: may not read its migration history, create tables or truncate', async (schema) => {
    const sql = prismaSql(client(schema));
    await expect(sql.query(`SELECT * FROM "${schema}"."_prisma_migrations"`)).rejects.toThrow(/permission denied/);
    await expect(sql.query(`CREATE TABLE "${schema}"."sneaky" (id int)`)).rejects.toThrow(/permission denied/);
    await expect(sql.query(`TRUNCATE "${schema}"."outbox"`)).rejects.toThrow(/permission denied/);
  });

  it.each(SCHEMAS)('%s: gets "permission denied" reading or writing any other module’s table', async (schema) => {
    const sql = prismaSql(client(schema));
    for (const other of otherSchemas(schema)) {
      for (const table of tables.get(other)!) {
        await expect(sql.query(`SELECT * FROM "${other}"."${table}" LIMIT 1`)).rejects.toThrow(
          `permission denied for schema ${other}`,
        );
      }
      await expect(sql.query(insertIntoOutbox(other))).rejects.toThrow(`permission denied for schema ${other}`);
      await expect(sql.query(`DELETE FROM "${other}"."inbox"`)).rejects.toThrow(
        `permission denied for schema ${other}`,
      );
    }
  });

  it.each(SCHEMAS)(
    '%s: gets "permission denied" on other modules’ tables inside its transactions too, rolled back',
    async (schema) => {
      for (const other of otherSchemas(schema)) {
        const [table] = tables.get(other)!;
        await expect(
          client(schema).$transaction(async (tx) => {
            await prismaSql(tx).query(insertIntoOutbox(schema));
            await prismaSql(tx).query(`SELECT * FROM "${other}"."${table}" LIMIT 1`);
          }),
        ).rejects.toThrow(`permission denied for schema ${other}`);
      }
      const [{ n }] = (await queryDatabase<{ n: number }>(
        database.url,
        `SELECT count(*)::int AS n FROM "${schema}"."outbox" WHERE event_type = 'test.data-ownership.v1'`,
      )) as [{ n: number }];
      expect(n).toBe(0);
    },
  );

  it('no role has any privilege on another module’s schema or tables; on its own, data only', async () => {
    const rows = await queryDatabase<{
      role: string;
      schema: string;
      table: string;
      usage: boolean;
      create: boolean;
      read: boolean;
      write: boolean;
      ddl: boolean;
    }>(
      database.url,
      `SELECT r.role, t.table_schema AS schema, t.table_name AS table,
              has_schema_privilege(r.role, t.table_schema, 'USAGE') AS usage,
              has_schema_privilege(r.role, t.table_schema, 'CREATE') AS create,
              has_table_privilege(r.role, format('%I.%I', t.table_schema, t.table_name), 'SELECT') AS read,
              has_table_privilege(r.role, format('%I.%I', t.table_schema, t.table_name), 'INSERT, UPDATE, DELETE') AS write,
              has_table_privilege(r.role, format('%I.%I', t.table_schema, t.table_name), 'TRUNCATE, REFERENCES, TRIGGER') AS ddl
       FROM unnest($1::text[]) AS r(role)
       CROSS JOIN information_schema.tables t
       WHERE t.table_schema = ANY($2)
       ORDER BY 1, 2, 3`,
      [SCHEMAS.map(moduleRole), SCHEMAS],
    );
    expect(rows).toHaveLength(
      SCHEMAS.length * SCHEMAS.reduce((sum, schema) => sum + tables.get(schema)!.length + 1, 0),
    );
    for (const row of rows) {
      const own = row.role === moduleRole(row.schema);
      const data = own && row.table !== '_prisma_migrations';
      expect(row).toEqual({ ...row, usage: own, create: false, read: data, write: data, ddl: false });
    }
    // The outbox ids' identity sequences (which information_schema.sequences leaves out).
    const sequences = await queryDatabase<{ role: string; schema: string; usable: boolean }>(
      database.url,
      `SELECT r.role, n.nspname AS schema, has_sequence_privilege(r.role, c.oid, 'USAGE') AS usable
       FROM unnest($1::text[]) AS r(role)
       CROSS JOIN pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'S' AND n.nspname = ANY($2)`,
      [SCHEMAS.map(moduleRole), SCHEMAS],
    );
    expect(sequences.length).toBeGreaterThan(0);
    for (const row of sequences) {
      expect(row).toEqual({ ...row, usable: row.role === moduleRole(row.schema) });
    }
  });

  it('shares one budget of connections at work (DATABASE_POOL_SIZE, 2 here) among the platform’s and the modules’ pools', async () => {
    let started = 0;
    let finishHeld!: () => void;
    const gate = new Promise<void>((resolve) => (finishHeld = resolve));
    const held = ['catalog', 'ordering'].map((schema) =>
      client(schema).$transaction(async (tx) => {
        await tx.$queryRawUnsafe('SELECT 1 AS one');
        started += 1;
        await gate;
      }),
    );
    await waitFor(() => started === 2, 5_000);

    let third = false;
    const platform = connection.withSession((session) => session.query('SELECT 1')).then(() => (third = true));
    const module = client('payments')
      .$queryRawUnsafe('SELECT 1 AS one')
      .then(() => true);
    await sleep(300);
    expect(third).toBe(false);

    finishHeld();
    await Promise.all(held);
    expect(await Promise.all([platform, module])).toEqual([true, true]);
  });

  it('the migrating user is a member of every role, which logs in as nobody', async () => {
    const roles = await queryDatabase<{ role: string; login: boolean; member: boolean }>(
      database.url,
      `SELECT rolname AS role, rolcanlogin AS login, pg_has_role(current_user, rolname, 'USAGE') AS member
       FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1`,
      [SCHEMAS.map(moduleRole)],
    );
    expect(roles).toEqual(
      [...SCHEMAS].sort().map((schema) => ({ role: moduleRole(schema), login: false, member: true })),
    );
  });
});

/** The modules whose transactions (nestjs-cls connection, see prismaTransactions) are named after their schema. */
const TRANSACTIONAL = ['catalog', 'inventory', 'ordering', 'payments'];

describe('Data ownership in the running app: each module’s transactions run as its role', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ SEED_SAMPLE_DATA: 'true' });
  });
  afterAll(() => t.close());

  interface Host {
    withTransaction<T>(work: () => Promise<T>): Promise<T>;
    isTransactionActive(): boolean;
    tx: unknown;
  }
  const host = (schema: string) => t.app.get<unknown, Host>(getTransactionHostToken(schema), { strict: false });

  it.each(TRANSACTIONAL)(
    '%s: its unit of work’s SQL runs as its role and cannot reach another module’s tables',
    async (schema) => {
      const transactions = host(schema);
      const user = await transactions.withTransaction(async () => {
        const [row] = await activeTransactionSql(transactions)!.query<{ user: string }>(
          'SELECT current_user AS "user"',
        );
        return row!.user;
      });
      expect(user).toBe(moduleRole(schema));
      for (const other of otherSchemas(schema)) {
        await expect(
          transactions.withTransaction(() =>
            activeTransactionSql(transactions)!.query(`SELECT 1 FROM "${other}"."outbox" LIMIT 1`),
          ),
        ).rejects.toThrow(`permission denied for schema ${other}`);
      }
    },
  );

  it('names each module’s connections after it in pg_stat_activity', async () => {
    await Promise.all(
      TRANSACTIONAL.map((schema) =>
        host(schema).withTransaction(() => activeTransactionSql(host(schema))!.query('SELECT 1')),
      ),
    );
    const names = await queryDatabase<{ name: string }>(
      t.database.url,
      `SELECT DISTINCT application_name AS name FROM pg_stat_activity
       WHERE datname = current_database() AND application_name LIKE 'nest-modulith:%'`,
    );
    expect(names.map((row) => row.name).sort()).toEqual(
      expect.arrayContaining(TRANSACTIONAL.map((schema) => `nest-modulith:${schema}`)),
    );
  });
});
