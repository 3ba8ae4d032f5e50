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
    adapter: new TransactionalAdapterPrisma({ prismaInjectionToken: prismaClient, sqlFlavor: 'postgresql' }),
  });
}

/** The SQL of the transaction active in this async context, or null outside one. */
export function activeTransactionSql(host: { isTransactionActive(): boolean; tx: unknown }): SqlExecutor | null {
  return host.isTransactionActive() ? prismaSql(host.tx as RawQueries) : null;
}
