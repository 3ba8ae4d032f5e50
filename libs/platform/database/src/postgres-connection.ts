import { PrismaPg } from '@prisma/adapter-pg';
import { Client, Pool, type PoolClient, type QueryResult } from 'pg';
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
      return await work(sessionOf(client));
    } finally {
      client.release();
    }
  }

  async withTransaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.withSession(async (session) => {
      await session.query('BEGIN');
      try {
        const result = await work(session);
        await session.query('COMMIT');
        return result;
      } catch (error) {
        await session.query('ROLLBACK');
        throw error;
      }
    });
  }

  /**
   * LISTEN needs a connection of its own for as long as it listens: it is taken from outside the
   * pool so that listeners never starve the queries.
   */
  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    const client = new Client(this.pool.options);
    client.on('error', () => undefined);
    await client.connect();
    client.on('notification', (message) => {
      if (message.channel === channel) {
        onNotify();
      }
    });
    await client.query(`LISTEN "${channel}"`);
    return async () => {
      await client.end();
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function sessionOf(client: PoolClient): SqlSession {
  return {
    query: async <Row extends SqlRow>(sql: string, params?: unknown[]) => (await client.query<Row>(sql, params)).rows,
    executeScript: async (script: string) => {
      await client.query(script);
    },
    queryScript: async <Row extends SqlRow>(script: string) => {
      // Without parameters node-postgres sends the simple protocol, one message for the whole
      // script; with several statements it resolves to one result per statement.
      const results = (await client.query<Row>(script)) as QueryResult<Row> | QueryResult<Row>[];
      return (Array.isArray(results) ? results.at(-1) : results)?.rows ?? [];
    },
  };
}
