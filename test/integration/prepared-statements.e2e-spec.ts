import path from 'node:path';
import { applyMigrations, PostgresConnection } from '@platform/database';
import * as Catalog from '../../libs/catalog/src/infrastructure/persistence/generated/client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const PREPARED = `SELECT statement FROM pg_prepared_statements WHERE NOT from_sql ORDER BY prepare_time`;

/**
 * Statements run as named prepared statements (docs/adr/0019-prepared-statements.md): the
 * platform's own SQL and each module's Prisma queries are parsed once per connection, and
 * DATABASE_PREPARED_STATEMENTS=false (a pooler that cannot keep them) prepares none. Each
 * connection here has one pool slot, so that what a query prepared is seen by the next.
 */
describe('Prepared statements on PostgreSQL', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    const connection = PostgresConnection.open(database.url, 1, 'prepared-statements-test');
    try {
      await applyMigrations(connection, path.resolve('prisma'), { log: () => undefined });
    } finally {
      await connection.close();
    }
  });
  afterAll(() => database.drop());

  it('prepares a platform statement once on its connection and runs it again by name', async () => {
    const connection = PostgresConnection.open(database.url, 1, 'prepared-statements-test');
    try {
      const results = await connection.withSession(async (session) => {
        const first = await session.query<{ n: number }>('SELECT $1::int + 1 AS n', [1]);
        const second = await session.query<{ n: number }>('SELECT $1::int + 1 AS n', [41]);
        return { first, second, prepared: await session.query<{ statement: string }>(PREPARED) };
      });

      expect(results.first).toEqual([{ n: 2 }]);
      expect(results.second).toEqual([{ n: 42 }]);
      expect(results.prepared.map((row) => row.statement)).toEqual(['SELECT $1::int + 1 AS n', PREPARED]);
    } finally {
      await connection.close();
    }
  });

  it("prepares a module's Prisma queries on the module's connection", async () => {
    const connection = PostgresConnection.open(database.url, 1, 'prepared-statements-test');
    const prisma = new Catalog.PrismaClient({ adapter: connection.prismaAdapter('catalog') });
    try {
      await prisma.product.findUnique({ where: { sku: 'NO-SUCH-SKU' } });
      await prisma.product.findUnique({ where: { sku: 'ANOTHER-SKU' } });
      const prepared = await prisma.$queryRawUnsafe<{ statement: string }[]>(PREPARED);

      expect(prepared).toHaveLength(2);
      expect(prepared[0]!.statement).toMatch(/^SELECT .* FROM "catalog"\."products" WHERE/);
    } finally {
      await prisma.$disconnect();
      await connection.close();
    }
  });

  it('prepares nothing with preparedStatements off', async () => {
    const connection = PostgresConnection.open(database.url, 1, 'prepared-statements-test', {
      preparedStatements: false,
    });
    const prisma = new Catalog.PrismaClient({ adapter: connection.prismaAdapter('catalog') });
    try {
      await prisma.product.findUnique({ where: { sku: 'NO-SUCH-SKU' } });
      const platform = await connection.withSession(async (session) => {
        await session.query('SELECT $1::int + 1 AS n', [1]);
        return session.query(PREPARED);
      });

      expect(platform).toEqual([]);
      expect(await prisma.$queryRawUnsafe(PREPARED)).toEqual([]);
    } finally {
      await prisma.$disconnect();
      await connection.close();
    }
  });
});
