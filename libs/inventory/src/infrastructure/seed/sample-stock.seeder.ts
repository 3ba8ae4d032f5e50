import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CatalogFacade } from '@modulith/catalog';
import { type AppConfig, APP_CONFIG } from '@platform/config';
import { PrismaClient } from '../persistence/generated/client';
import { sampleStockOf } from './sample-stock';

/**
 * Adds stock for every product of the catalog at startup when SEED_SAMPLE_DATA is on (see
 * sample-stock.ts for the quantities). Existing stock is never overwritten, so a restart keeps
 * what was reserved.
 *
 * It runs after the catalog's seeder: InventoryModule imports CatalogModule, and Nest calls
 * onApplicationBootstrap module by module, the modules deepest in the import graph first. Were it
 * ever to run first, it would find an empty catalog, seed nothing and say so; the next start
 * would seed.
 */
@Injectable()
export class SampleStockSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(SampleStockSeeder.name);

  constructor(
    @Inject(PrismaClient) private readonly prisma: PrismaClient,
    @Inject(CatalogFacade) private readonly catalog: CatalogFacade,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedSampleData) {
      return;
    }
    const skus = await this.catalog.listSkus();
    if (skus.length === 0) {
      this.logger.warn('The catalog has no products yet: no sample stock seeded');
      return;
    }
    const { count } = await this.prisma.stock.createMany({
      data: skus.map((sku) => ({ sku, available: sampleStockOf(sku), reserved: 0 })),
      skipDuplicates: true,
    });
    if (count > 0) {
      this.logger.log(`Seeded stock for ${count} skus`);
    }
  }
}
