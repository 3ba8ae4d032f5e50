import { Injectable } from '@nestjs/common';
import { StockRepository } from '../../application/ports';
import type { StockView } from '../../application/stock.view';
import { Stock, type StockState } from '../../domain/stock';
import { InjectInventoryTransactionHost, type InventoryTransactionHost } from './inventory-transactions';

/** Reads and writes through the transaction in async context, or the plain client outside one. */
@Injectable()
export class PrismaStockRepository extends StockRepository {
  constructor(@InjectInventoryTransactionHost() private readonly host: InventoryTransactionHost) {
    super();
  }

  private get prisma() {
    return this.host.tx;
  }

  findView(sku: string): Promise<StockView | null> {
    return this.prisma.stock.findUnique({ where: { sku }, select: { sku: true, available: true, reserved: true } });
  }

  /*
   * FOR UPDATE locks the rows as the sorted result is produced (the lock sits above the sort in the
   * plan), so every transaction takes its skus' locks in the same order: two orders that share
   * skus queue behind each other instead of each holding a lock the other waits for. A row locked
   * by another transaction is read again once that one commits, so the levels read here are those
   * its predecessor left (READ COMMITTED re-checks a locked row after waiting).
   */
  async lockForUpdate(skus: readonly string[]): Promise<Map<string, Stock>> {
    const rows = await this.prisma.$queryRaw<StockState[]>`
      SELECT sku, available, reserved FROM "inventory"."stock"
      WHERE sku = ANY(${[...new Set(skus)]}::varchar[])
      ORDER BY sku
      FOR UPDATE`;
    return new Map(rows.map((row) => [row.sku, Stock.restore(row)]));
  }

  async save(stock: readonly Stock[]): Promise<void> {
    if (stock.length === 0) {
      return;
    }
    const levels = stock.map((item) => item.snapshot());
    await this.prisma.$executeRaw`
      UPDATE "inventory"."stock" AS s
      SET available = v.available, reserved = v.reserved, updated_at = CURRENT_TIMESTAMP
      FROM unnest(
        ${levels.map((level) => level.sku)}::varchar[],
        ${levels.map((level) => level.available)}::int[],
        ${levels.map((level) => level.reserved)}::int[]
      ) AS v(sku, available, reserved)
      WHERE s.sku = v.sku`;
  }
}
