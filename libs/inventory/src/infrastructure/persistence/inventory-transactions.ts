import { Injectable, type Provider } from '@nestjs/common';
import { getTransactionHostToken, InjectTransactionHost, type TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { activeTransactionSql, prismaTransactions } from '@platform/database';
import { TransactionalOutbox } from '@platform/outbox';
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

@Injectable()
class ClsUnitOfWork extends UnitOfWork {
  constructor(@InjectInventoryTransactionHost() private readonly host: InventoryTransactionHost) {
    super();
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    return this.host.withTransaction(work);
  }
}

/** The unit of work and the outbox of inventory, both on the transaction in async context. */
export const transactionProviders: Provider[] = [
  { provide: UnitOfWork, useClass: ClsUnitOfWork },
  {
    provide: EventOutbox,
    useFactory: (host: InventoryTransactionHost) =>
      new TransactionalOutbox('inventory', () => activeTransactionSql(host)),
    inject: [getTransactionHostToken(INVENTORY_CONNECTION)],
  },
];
