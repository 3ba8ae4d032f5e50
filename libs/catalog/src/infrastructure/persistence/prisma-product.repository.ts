import { Injectable } from '@nestjs/common';
import { Product } from '../../domain/product';
import { type ProductPage, type ProductPrice, ProductRepository } from '../../application/product-repository';
import type { ProductView } from '../../application/product.view';
import { type CatalogTransactionHost, InjectCatalogTransactionHost } from './catalog-transactions';

const viewColumns = { sku: true, name: true, description: true, priceMinor: true, currency: true } as const;

/** Reads and writes through the transaction in async context, or the plain client outside one. */
@Injectable()
export class PrismaProductRepository extends ProductRepository {
  constructor(@InjectCatalogTransactionHost() private readonly host: CatalogTransactionHost) {
    super();
  }

  private get prisma() {
    return this.host.tx;
  }

  findView(sku: string): Promise<ProductView | null> {
    return this.prisma.product.findUnique({ where: { sku }, select: viewColumns });
  }

  async listViews(after: string | null, limit: number): Promise<ProductPage> {
    const rows = await this.prisma.product.findMany({
      select: viewColumns,
      where: after === null ? {} : { sku: { gt: after } },
      orderBy: { sku: 'asc' },
      take: limit + 1,
    });
    const items = rows.slice(0, limit);
    return { items, nextAfter: rows.length > limit ? items[items.length - 1]!.sku : null };
  }

  findPrices(skus: readonly string[]): Promise<ProductPrice[]> {
    return this.prisma.product.findMany({
      select: { sku: true, priceMinor: true, currency: true },
      where: { sku: { in: [...skus] } },
    });
  }

  async listSkus(): Promise<string[]> {
    const rows = await this.prisma.product.findMany({ select: { sku: true }, orderBy: { sku: 'asc' } });
    return rows.map((row) => row.sku);
  }

  async load(sku: string): Promise<Product | null> {
    const row = await this.prisma.product.findUnique({ where: { sku }, select: { ...viewColumns, version: true } });
    return row ? Product.restore(row) : null;
  }

  async saveChanged(product: Product, loadedVersion: number): Promise<boolean> {
    const { sku, name, description, priceMinor, version } = product.snapshot();
    const { count } = await this.prisma.product.updateMany({
      where: { sku, version: loadedVersion },
      data: { name, description, priceMinor, version, updatedAt: new Date() },
    });
    return count === 1;
  }
}
