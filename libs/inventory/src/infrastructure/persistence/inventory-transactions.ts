import { InjectTransactionHost, type TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { prismaTransactions } from '@platform/database';
import { unitOfWorkProviders } from '@platform/outbox';
import { EventOutbox, UnitOfWork } from '../../application/transactions';
import { InventoryPrismaModule } from './inventory-prisma.module';
import { PrismaClient } from './generated/client';

const INVENTORY_CONNECTION = 'inventory';

export type InventoryTransactionHost = TransactionHost<TransactionalAdapterPrisma<PrismaClient>>;

/** Injects inventory's transaction host: `host.tx` is the open transaction, or the plain client. */
export const InjectInventoryTransactionHost = () => InjectTransactionHost(INVENTORY_CONNECTION);

/** Registers inventory's transactions (nestjs-cls) over its own Prisma client. */
export const inventoryTransactions = () =>
  prismaTransactions(INVENTORY_CONNECTION, InventoryPrismaModule, PrismaClient);

/** The unit of work and the outbox of inventory, both on the transaction in async context. */
export const transactionProviders = unitOfWorkProviders({
  connection: INVENTORY_CONNECTION,
  schema: 'inventory',
  unitOfWork: UnitOfWork,
  eventOutbox: EventOutbox,
});
