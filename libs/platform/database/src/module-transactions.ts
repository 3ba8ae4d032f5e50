import type { Type } from '@nestjs/common';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import type { SqlExecutor, SqlRow } from './database-connection';

interface RawQueries {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** Any Prisma client or interactive transaction, as an SqlExecutor (for the outbox and inbox). */
export function prismaSql(client: RawQueries): SqlExecutor {
  return {
    query: <Row extends SqlRow>(sql: string, params: unknown[] = []) => client.$queryRawUnsafe<Row[]>(sql, ...params),
  };
}

/** How long a transaction may wait for a connection of the pool before it fails. */
const TRANSACTION_MAX_WAIT_MS = 10_000;
/** How long an interactive transaction may stay open before Prisma rolls it back. */
const TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * Transactions of one module over its own Prisma client, carried by async context (nestjs-cls):
 * code inside `TransactionHost.withTransaction` (repositories, the outbox) uses `txHost.tx` and so
 * joins the transaction without it being passed around. `connectionName` is the module's name;
 * `prismaModule` provides and exports `prismaClient`.
 */
export function prismaTransactions(
  connectionName: string,
  prismaModule: Type,
  prismaClient: Type,
): ClsPluginTransactional {
  return new ClsPluginTransactional({
    connectionName,
    imports: [prismaModule],
    adapter: new TransactionalAdapterPrisma({
      prismaInjectionToken: prismaClient,
      sqlFlavor: 'postgresql',
      // Prisma's defaults (2 s to get a connection, 5 s per transaction) fail healthy transactions
      // that merely queue for the pool under a burst; the pool and the load shedding bound the wait.
      defaultTxOptions: { maxWait: TRANSACTION_MAX_WAIT_MS, timeout: TRANSACTION_TIMEOUT_MS },
    }),
  });
}

/** The SQL of the transaction active in this async context, or null outside one. */
export function activeTransactionSql(host: { isTransactionActive(): boolean; tx: unknown }): SqlExecutor | null {
  return host.isTransactionActive() ? prismaSql(host.tx as RawQueries) : null;
}
