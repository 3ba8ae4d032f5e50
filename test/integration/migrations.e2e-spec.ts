import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyMigrations, EmbeddedConnection, IN_MEMORY, PostgresConnection } from '@platform/database';
import { createTestDatabase, queryDatabase, type TestDatabase } from '../support/test-database';

const quiet = { log: () => undefined };

function migrationsTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nest-modulith-migrations-'));
  for (const [name, sql] of Object.entries(files)) {
    const dir = path.join(root, path.dirname(name));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(root, name), sql);
  }
  return root;
}

describe('applyMigrations (PostgreSQL)', () => {
  let database: TestDatabase;
  let roots: string[] = [];
  const tree = (files: Record<string, string>) => {
    const root = migrationsTree(files);
    roots.push(root);
    return root;
  };

  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await database.drop();
    roots.forEach((root) => rmSync(root, { recursive: true, force: true }));
    roots = [];
  });

  it('applies the committed migrations once, records them, and applies nothing the second time', async () => {
    const connection = PostgresConnection.open(database.url, 2, 'test');
    try {
      expect(await applyMigrations(connection, path.resolve('prisma'), quiet)).toBeGreaterThanOrEqual(2);
      expect(await applyMigrations(connection, path.resolve('prisma'), quiet)).toBe(0);
    } finally {
      await connection.close();
    }
    const history = await queryDatabase<{ migration_name: string }>(
      database.url,
      'SELECT migration_name FROM ordering._prisma_migrations WHERE finished_at IS NOT NULL',
    );
    expect(history.map((row) => row.migration_name)).toContain('20261122000000_create_orders');
  });

  it('applies each migration once when several instances start together', async () => {
    const root = tree({
      'shop/migrations/001_create/migration.sql':
        'CREATE SCHEMA IF NOT EXISTS shop; CREATE TABLE shop.things (id int);',
      'shop/migrations/002_seed/migration.sql': 'INSERT INTO shop.things VALUES (1);',
    });
    const connections = Array.from({ length: 4 }, () => PostgresConnection.open(database.url, 1, 'test'));
    try {
      const applied = await Promise.all(connections.map((connection) => applyMigrations(connection, root, quiet)));
      expect(applied.reduce((sum, count) => sum + count, 0)).toBe(2);
    } finally {
      await Promise.all(connections.map((connection) => connection.close()));
    }
    expect(await queryDatabase(database.url, 'SELECT id FROM shop.things')).toEqual([{ id: 1 }]);
  });

  it('rolls a failing migration back whole, names it, and applies it once fixed', async () => {
    const broken = tree({
      'shop/migrations/001_create/migration.sql':
        'CREATE SCHEMA IF NOT EXISTS shop; CREATE TABLE shop.things (id int); INSERT INTO shop.nowhere VALUES (1);',
    });
    const connection = PostgresConnection.open(database.url, 1, 'test');
    try {
      await expect(applyMigrations(connection, broken, quiet)).rejects.toThrow(/Migration shop\/001_create failed/);
      expect(await queryDatabase(database.url, "SELECT to_regclass('shop.things') AS t")).toEqual([{ t: null }]);

      const fixed = tree({
        'shop/migrations/001_create/migration.sql':
          'CREATE SCHEMA IF NOT EXISTS shop; CREATE TABLE shop.things (id int);',
      });
      expect(await applyMigrations(connection, fixed, quiet)).toBe(1);
    } finally {
      await connection.close();
    }
  });

  it('refuses to start when an applied migration was edited', async () => {
    const original = tree({ 'shop/migrations/001_create/migration.sql': 'CREATE SCHEMA IF NOT EXISTS shop;' });
    const edited = tree({ 'shop/migrations/001_create/migration.sql': 'CREATE SCHEMA IF NOT EXISTS shop; -- edited' });
    const connection = PostgresConnection.open(database.url, 1, 'test');
    try {
      await applyMigrations(connection, original, quiet);
      await expect(applyMigrations(connection, edited, quiet)).rejects.toThrow(/was changed after it was applied/);
    } finally {
      await connection.close();
    }
  });
});

describe('applyMigrations (embedded PGlite)', () => {
  it('applies the same committed migrations', async () => {
    const connection = await EmbeddedConnection.open(IN_MEMORY);
    try {
      expect(await applyMigrations(connection, path.resolve('prisma'), quiet)).toBeGreaterThanOrEqual(2);
      const tables = await connection.withSession((session) =>
        session.query<{ table: string }>(
          "SELECT table_schema || '.' || table_name AS table FROM information_schema.tables WHERE table_schema IN ('catalog', 'ordering') ORDER BY 1",
        ),
      );
      expect(tables.map((row) => row.table)).toEqual(
        expect.arrayContaining([
          'catalog.products',
          'ordering.orders',
          'ordering.order_lines',
          'ordering.idempotency_keys',
        ]),
      );
    } finally {
      await connection.close();
    }
  });
});
