import { InjectTransactionHost, type TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { prismaTransactions } from '@platform/database';
import { unitOfWorkProviders } from '@platform/outbox';
import { EventOutbox, UnitOfWork } from '../../application/transactions';
import { CatalogPrismaModule } from './catalog-prisma.module';
import { PrismaClient } from './generated/client';

const CATALOG_CONNECTION = 'catalog';

export type CatalogTransactionHost = TransactionHost<TransactionalAdapterPrisma<PrismaClient>>;

/** Injects catalog's transaction host: `host.tx` is the open transaction, or the plain client. */
export const InjectCatalogTransactionHost = () => InjectTransactionHost(CATALOG_CONNECTION);

/** Registers catalog's transactions (nestjs-cls) over its own Prisma client. */
export const catalogTransactions = () => prismaTransactions(CATALOG_CONNECTION, CatalogPrismaModule, PrismaClient);

/** The unit of work and the outbox of catalog, both on the transaction in async context. */
export const transactionProviders = unitOfWorkProviders({
  connection: CATALOG_CONNECTION,
  schema: 'catalog',
  unitOfWork: UnitOfWork,
  eventOutbox: EventOutbox,
});
