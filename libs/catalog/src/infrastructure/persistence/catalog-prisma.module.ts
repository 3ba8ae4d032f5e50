import { Module } from '@nestjs/common';
import { providePrismaClient } from '@platform/database';
import { PrismaClient } from './generated/client';

/**
 * Catalog's Prisma client, in a module of its own so that its transaction plugin can import it. On
 * PostgreSQL it runs as the role nest_modulith_catalog, which may use the `catalog` schema and no other.
 */
@Module({
  providers: [providePrismaClient(PrismaClient, (options) => new PrismaClient(options), { schema: 'catalog' })],
  exports: [PrismaClient],
})
export class CatalogPrismaModule {}
