import type { Provider } from '@nestjs/common';
import { getTransactionHostToken } from '@nestjs-cls/transactional';
import { activeTransactionSql } from '@platform/database';
import type { IntegrationEvent } from '@platform/messaging';
import { TransactionalOutbox } from './outbox-record';

interface TransactionHostLike {
  withTransaction<T>(work: () => Promise<T>): Promise<T>;
  isTransactionActive(): boolean;
  tx: unknown;
}

/**
 * Binds a module's own unit-of-work and event-outbox ports (abstract classes in its application
 * layer) to its transactions: `run` opens a transaction of the module's nestjs-cls connection
 * (see prismaTransactions), and `record` writes to `<schema>.outbox` inside it.
 */
export function unitOfWorkProviders(options: {
  /** The connection name of the module's prismaTransactions plugin. */
  connection: string;
  /** The module's schema, where its outbox table is. */
  schema: string;
  unitOfWork: abstract new () => { run<T>(work: () => Promise<T>): Promise<T> };
  eventOutbox: abstract new () => { record(events: readonly IntegrationEvent[]): Promise<void> };
}): Provider[] {
  const host = getTransactionHostToken(options.connection);
  return [
    {
      provide: options.unitOfWork,
      inject: [host],
      useFactory: (transactions: TransactionHostLike) => ({
        run: <T>(work: () => Promise<T>) => transactions.withTransaction(work),
      }),
    },
    {
      provide: options.eventOutbox,
      inject: [host],
      useFactory: (transactions: TransactionHostLike) =>
        new TransactionalOutbox(options.schema, () => activeTransactionSql(transactions)),
    },
  ];
}
