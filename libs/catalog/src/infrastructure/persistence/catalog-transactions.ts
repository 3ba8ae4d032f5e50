import { Injectable, type Provider } from '@nestjs/common';
import { getTransactionHostToken, InjectTransactionHost, type TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { activeTransactionSql, prismaTransactions } from '@platform/database';
import { TransactionalOutbox } from '@platform/outbox';
import { EventOutbox, UnitOfWork } from '../../application/transactions';
import { CatalogPrismaModule } from './catalog-prisma.module';
import { PrismaClient } from './generated/client';

const CATALOG_CONNECTION = 'catalog';

export type CatalogTransactionHost = TransactionHost<TransactionalAdapterPrisma<PrismaClient>>;

/** Injects catalog's transaction host: `host.tx` is the open transaction, or the plain client. */
export const InjectCatalogTransactionHost = () => InjectTransactionHost(CATALOG_CONNECTION);

/** Registers catalog's transactions (nestjs-cls) over its own Prisma client. */
export const catalogTransactions = () => prismaTransactions(CATALOG_CONNECTION, CatalogPrismaModule, PrismaClient);

@Injectable()
class ClsUnitOfWork extends UnitOfWork {
  constructor(@InjectCatalogTransactionHost() private readonly host: CatalogTransactionHost) {
    super();
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    return this.host.withTransaction(work);
  }
}

/** The unit of work and the outbox of catalog, both on the transaction in async context. */
export const transactionProviders: Provider[] = [
  { provide: UnitOfWork, useClass: ClsUnitOfWork },
  {
    provide: EventOutbox,
    useFactory: (host: CatalogTransactionHost) => new TransactionalOutbox('catalog', () => activeTransactionSql(host)),
    inject: [getTransactionHostToken(CATALOG_CONNECTION)],
  },
];
