import { Module } from '@nestjs/common';
import { providePrismaClient } from '@platform/database';
import { PrismaClient } from './generated/client';

/**
 * Inventory's Prisma client, in a module of its own so that its transaction plugin can import it. On
 * PostgreSQL it runs as the role nest_modulith_inventory, which may use the `inventory` schema and no other.
 */
@Module({
  providers: [providePrismaClient(PrismaClient, (options) => new PrismaClient(options), { schema: 'inventory' })],
  exports: [PrismaClient],
})
export class InventoryPrismaModule {}
