import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { DatabaseConnection, type SqlRow, type SqlSession } from './database-connection';

export class PostgresConnection extends DatabaseConnection {
  readonly kind = 'postgres' as const;
  private readonly adapter: PrismaPg;

  constructor(private readonly pool: Pool) {
    super();
    this.adapter = new PrismaPg(pool);
  }

  static open(url: string, poolSize: number, applicationName: string): PostgresConnection {
    const pool = new Pool({
      connectionString: url,
      max: poolSize,
      application_name: applicationName,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client that loses its connection emits 'error' on the pool; without a listener that
    // would crash the process. The pool replaces the client on the next checkout.
    pool.on('error', () => undefined);
    return new PostgresConnection(pool);
  }

  prismaAdapter(): PrismaPg {
    return this.adapter;
  }

  async withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work({
        query: async <Row extends SqlRow>(sql: string, params?: unknown[]) =>
          (await client.query<Row>(sql, params)).rows,
        executeScript: async (script: string) => {
          await client.query(script);
        },
      });
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
