import { Module } from '@nestjs/common';
import { providePrismaClient } from '@platform/database';
import { PrismaClient } from './generated/client';

/**
 * Payments' Prisma client, in a module of its own so that its transaction plugin can import it. On
 * PostgreSQL it runs as the role nest_modulith_payments, which may use the `payments` schema and no other.
 */
@Module({
  providers: [providePrismaClient(PrismaClient, (options) => new PrismaClient(options), { schema: 'payments' })],
  exports: [PrismaClient],
})
export class PaymentsPrismaModule {}
