import { InjectTransactionHost, type TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { prismaTransactions } from '@platform/database';
import { unitOfWorkProviders } from '@platform/outbox';
import { EventOutbox, UnitOfWork } from '../../application/transactions';
import { PrismaClient } from './generated/client';
import { PaymentsPrismaModule } from './payments-prisma.module';

const PAYMENTS_CONNECTION = 'payments';

export type PaymentsTransactionHost = TransactionHost<TransactionalAdapterPrisma<PrismaClient>>;

/** Injects payments' transaction host: `host.tx` is the open transaction, or the plain client. */
export const InjectPaymentsTransactionHost = () => InjectTransactionHost(PAYMENTS_CONNECTION);

/** Registers payments' transactions (nestjs-cls) over its own Prisma client. */
export const paymentsTransactions = () => prismaTransactions(PAYMENTS_CONNECTION, PaymentsPrismaModule, PrismaClient);

/** The unit of work and the outbox of payments, both on the transaction in async context. */
export const transactionProviders = unitOfWorkProviders({
  connection: PAYMENTS_CONNECTION,
  schema: 'payments',
  unitOfWork: UnitOfWork,
  eventOutbox: EventOutbox,
});
