import { PrismaPg } from '@prisma/adapter-pg';
import { Client, type Pool, type PoolClient, type PoolConfig, type QueryResult } from 'pg';
import { BudgetedPool, ConnectionBudget } from './connection-budget';
import { DatabaseConnection, type SqlRow, type SqlSession } from './database-connection';
import { moduleRole } from './module-role';
import { StatementNames } from './statement-names';

const CONNECTION_TIMEOUT_MS = 5_000;
/** Distinct SQL texts prepared on each connection, at most (StatementNames). */
const PREPARED_STATEMENTS_PER_CONNECTION = 500;

export interface PostgresConnectionOptions {
  /**
   * Statements run as named prepared statements (the default): parsed and planned once per
   * connection. Off for a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode).
   */
  preparedStatements?: boolean;
}

/**
 * PostgreSQL through `pg` Pools: one for the platform (migrations, outbox relays, inbox statements,
 * health), used as the connecting user, and one per module, created with its Prisma client, whose
 * connections are logged in as the module's role (docs/adr/0012-one-database-role-per-module.md).
 * The pools share one budget of `poolSize` connections at work at once (ConnectionBudget): any pool
 * may use all of it while the others are idle. They open connections on demand and close them after
 * 30 s idle.
 */
export class PostgresConnection extends DatabaseConnection {
  readonly kind = 'postgres' as const;
  private readonly budget: ConnectionBudget;
  private readonly pool: Pool;
  private readonly modulePools = new Map<string, { pool: Pool; adapter: PrismaPg }>();
  private readonly statementNames: StatementNames;

  private constructor(
    private readonly config: PoolConfig & { max: number },
    { preparedStatements = true }: PostgresConnectionOptions,
  ) {
    super();
    this.statementNames = new StatementNames(preparedStatements ? PREPARED_STATEMENTS_PER_CONNECTION : 0);
    this.budget = new ConnectionBudget(config.max, config.connectionTimeoutMillis ?? CONNECTION_TIMEOUT_MS);
    this.pool = this.newPool(config);
  }

  static open(
    url: string,
    poolSize: number,
    applicationName: string,
    options: PostgresConnectionOptions = {},
  ): PostgresConnection {
    return new PostgresConnection(
      {
        connectionString: url,
        max: poolSize,
        application_name: applicationName,
        connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
        idleTimeoutMillis: 30_000,
      },
      options,
    );
  }

  /**
   * The adapter of `schema`'s module: a pool of its own whose connections take the module's role
   * when they start (the `role` parameter in the startup packet's `options`, as `PGOPTIONS='-c
   * role=...'` would), so the role is in force before the first query and costs no round trip. A
   * connection the server refuses the role (missing, or the user not a member) fails to open: no
   * query ever runs as the connecting user by mistake.
   */
  prismaAdapter(schema: string): PrismaPg {
    let entry = this.modulePools.get(schema);
    if (!entry) {
      const pool = this.newPool(asRole(this.config, moduleRole(schema), schema));
      const adapter = new PrismaPg(pool, {
        statementNameGenerator: (query) => this.statementNames.nameOf(query.sql),
      });
      entry = { pool, adapter };
      this.modulePools.set(schema, entry);
    }
    return entry.adapter;
  }

  async withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(sessionOf(client, this.statementNames));
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
    const client = new Client(this.config);
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

  private newPool(config: PoolConfig): Pool {
    const pool = new BudgetedPool(config, this.budget);
    // An idle client that loses its connection emits 'error' on the pool; without a listener that
    // would crash the process. The pool replaces the client on the next checkout.
    pool.on('error', () => undefined);
    return pool;
  }

  async close(): Promise<void> {
    const pools = [this.pool, ...[...this.modulePools.values()].map((entry) => entry.pool)];
    this.modulePools.clear();
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

/**
 * The platform pool's settings, for a module's pool: the same server, user and limits, its
 * connections started as `role` and named `<application name>:<schema>` in pg_stat_activity. The
 * connection string's own `options` (which would override the config's) are kept and moved next
 * to the role.
 */
function asRole<Config extends PoolConfig>(config: Config, role: string, schema: string): Config {
  let { connectionString, options } = config;
  if (connectionString && /[?&]options=/.test(connectionString)) {
    const url = new URL(connectionString);
    options = [url.searchParams.get('options'), options].filter(Boolean).join(' ');
    url.searchParams.delete('options');
    connectionString = url.toString();
  }
  return {
    ...config,
    connectionString,
    options: [options, `-c role=${role}`].filter(Boolean).join(' '),
    application_name: [config.application_name, schema].filter(Boolean).join(':'),
  };
}

function sessionOf(client: PoolClient, statementNames: StatementNames): SqlSession {
  return {
    query: async <Row extends SqlRow>(sql: string, params?: unknown[]) =>
      (await client.query<Row>({ name: statementNames.nameOf(sql), text: sql, values: params })).rows,
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
