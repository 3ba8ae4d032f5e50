import type { PrismaPg } from '@prisma/adapter-pg';
import type { PrismaPGlite } from 'pglite-prisma-adapter';

export interface SqlRow {
  [column: string]: unknown;
}

/** Something that runs SQL: a session, a transaction, or a Prisma client adapted by prismaSql. */
export interface SqlExecutor {
  query<Row extends SqlRow = SqlRow>(sql: string, params?: unknown[]): Promise<Row[]>;
}

/** One database session: statements run on the same connection, in order. */
export interface SqlSession extends SqlExecutor {
  /** Runs a script of several statements (no parameters), as migrations are written. */
  executeScript(script: string): Promise<void>;
  /**
   * Runs several statements in one round trip (one simple-protocol message) and returns the rows of
   * the last one. There are no parameters: values go in as literals (`sqlLiteral`, or numbers checked
   * to be integers). Outside an explicit transaction the statements form one implicit transaction,
   * committed together after the last one or rolled back at the first error, and under READ
   * COMMITTED each statement takes its own snapshot when it starts: a lock that one statement waited
   * for is held before the next one looks at the data (the outbox relay's claim relies on this).
   * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
   */
  queryScript<Row extends SqlRow = SqlRow>(script: string): Promise<Row[]>;
}

/**
 * A string as an SQL literal, for the statements of `queryScript`, which take no parameters. Quotes
 * are doubled; a string holding a backslash becomes an escape string (E'...') with the backslashes
 * doubled, so that it reads the same whatever `standard_conforming_strings` says (pg's escapeLiteral).
 */
export function sqlLiteral(value: string): string {
  const quoted = `'${value.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`;
  return value.includes('\\') ? `E${quoted}` : quoted;
}

/**
 * The process's database (pools on PostgreSQL, the single PGlite instance when embedded). Modules
 * never see it directly: they get a Prisma client built on the driver adapter of their schema, so
 * that every module's client works the same way in both modes. Its own sessions (`withSession`,
 * `withTransaction`, `listen`) are the platform's: migrations, outbox relays, inbox statements,
 * health, run as the connecting user.
 */
export abstract class DatabaseConnection {
  abstract readonly kind: 'postgres' | 'embedded';
  /**
   * The driver adapter for the Prisma client of the module that owns `schema`. On PostgreSQL its
   * connections run as the module's role (`moduleRole(schema)`), which may use that schema and no
   * other (docs/adr/0012-one-database-role-per-module.md); embedded, every module shares PGlite's
   * one connection, as the connecting user.
   */
  abstract prismaAdapter(schema: string): PrismaPg | PrismaPGlite;
  /** Runs `work` on one session held for its duration (needed for session-level advisory locks). */
  abstract withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. On the
   * embedded database nothing else runs on the connection meanwhile.
   */
  abstract withTransaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Calls `onNotify` for each NOTIFY on `channel` until the returned function is called. */
  abstract listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  abstract close(): Promise<void>;

  async ping(): Promise<void> {
    await this.withSession((session) => session.query('SELECT 1'));
  }
}
