import { getTransactionHostToken, InjectTransactionHost, type TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { prismaTransactions } from '@platform/database';
import { UnitOfWork } from '../../application/transactions';
import { OrderingPrismaModule } from './ordering-prisma.module';
import { PrismaClient } from './generated/client';

/** The connection name of ordering's transactions; its inbox consumers run in them. */
export const ORDERING_CONNECTION = 'ordering';

export type OrderingTransactionHost = TransactionHost<TransactionalAdapterPrisma<PrismaClient>>;

/** Injects ordering's transaction host: `host.tx` is the open transaction, or the plain client. */
export const InjectOrderingTransactionHost = () => InjectTransactionHost(ORDERING_CONNECTION);

/** Registers ordering's transactions (nestjs-cls) over its own Prisma client. */
export const orderingTransactions = () => prismaTransactions(ORDERING_CONNECTION, OrderingPrismaModule, PrismaClient);

/** Ordering's unit of work: a transaction of its connection, which the saga's repository joins. */
export const unitOfWorkProvider = {
  provide: UnitOfWork,
  inject: [getTransactionHostToken(ORDERING_CONNECTION)],
  useFactory: (host: OrderingTransactionHost): UnitOfWork => ({ run: (work) => host.withTransaction(work) }),
};
