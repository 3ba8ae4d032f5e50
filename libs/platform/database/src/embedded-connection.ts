import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { DatabaseConnection, type SqlRow, type SqlSession } from './database-connection';

export const IN_MEMORY = 'memory://';

/**
 * PostgreSQL compiled to WebAssembly, in this process: the embedded mode needs no server.
 * PGlite is a single connection, so concurrent work is serialised; the same SQL and migrations
 * run here as on a real server.
 */
export class EmbeddedConnection extends DatabaseConnection {
  readonly kind = 'embedded' as const;
  private readonly adapter: PrismaPGlite;

  private constructor(private readonly db: PGlite) {
    super();
    this.adapter = new PrismaPGlite(db);
  }

  static async open(dataDir: string): Promise<EmbeddedConnection> {
    if (dataDir !== IN_MEMORY) {
      mkdirSync(path.resolve(dataDir), { recursive: true });
    }
    return new EmbeddedConnection(await PGlite.create(dataDir === IN_MEMORY ? IN_MEMORY : path.resolve(dataDir)));
  }

  /**
   * PGlite's one adapter, whatever the schema: the modules' roles exist here too (the same
   * migrations create them) but are not taken, so ownership is enforced on PostgreSQL only
   * (docs/adr/0012-one-database-role-per-module.md).
   */
  prismaAdapter(_schema: string): PrismaPGlite {
    return this.adapter;
  }

  async withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return work(sessionOf(this.db));
  }

  async withTransaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(sessionOf(tx)));
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    const unlisten = await this.db.listen(channel, onNotify);
    return async () => {
      if (!this.db.closed) {
        await unlisten();
      }
    };
  }

  async close(): Promise<void> {
    if (!this.db.closed) {
      await this.db.close();
    }
  }
}

function sessionOf(db: PGlite | Transaction): SqlSession {
  return {
    query: async <Row extends SqlRow>(sql: string, params?: unknown[]) => (await db.query<Row>(sql, params)).rows,
    executeScript: async (script: string) => {
      await db.exec(script);
    },
    // PGlite runs exec's script as one simple-protocol query too: one implicit transaction.
    queryScript: async <Row extends SqlRow>(script: string) => ((await db.exec(script)).at(-1)?.rows ?? []) as Row[],
  };
}
