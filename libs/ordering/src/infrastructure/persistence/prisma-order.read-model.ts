import { Inject, Injectable } from '@nestjs/common';
import type { OrderView } from '../../application/order.view';
import { OrderReadModel } from '../../application/ports';
import { PrismaClient } from './generated/client';

@Injectable()
export class PrismaOrderReadModel extends OrderReadModel {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {
    super();
  }

  async findView(id: string): Promise<OrderView | null> {
    const row = await this.prisma.order.findUnique({
      where: { id },
      include: { lines: { orderBy: { lineNo: 'asc' } } },
    });
    if (!row) {
      return null;
    }
    return {
      id: row.id,
      customerId: row.customerId,
      status: row.status,
      items: row.lines.map(({ sku, quantity, unitPriceMinor }) => ({ sku, quantity, unitPriceMinor })),
      // Safe: the domain bounds every order total far below 2^53 minor units.
      totalMinor: Number(row.totalMinor),
      currency: row.currency,
      createdAt: row.createdAt.toISOString(),
      ...(row.cancellationReason === null ? {} : { cancellationReason: row.cancellationReason }),
    };
  }
}
