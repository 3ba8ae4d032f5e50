import { Module } from '@nestjs/common';
import { providePrismaClient } from '@platform/database';
import { PrismaClient } from './generated/client';

/** Inventory's Prisma client, in a module of its own so that its transaction plugin can import it. */
@Module({
  providers: [providePrismaClient(PrismaClient, (options) => new PrismaClient(options))],
  exports: [PrismaClient],
})
export class InventoryPrismaModule {}
