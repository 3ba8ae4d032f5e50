import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type AppConfig, APP_CONFIG } from '@platform/config';
import { PrismaClient } from '../persistence/generated/client';
import { SAMPLE_PRODUCTS } from './sample-catalog';

/**
 * Adds the sample catalog at startup when SEED_SAMPLE_DATA is on (the default, so that the
 * quick start has something to order). Existing products are never overwritten.
 */
@Injectable()
export class SampleCatalogSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(SampleCatalogSeeder.name);

  constructor(
    @Inject(PrismaClient) private readonly prisma: PrismaClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedSampleData) {
      return;
    }
    const { count } = await this.prisma.product.createMany({ data: [...SAMPLE_PRODUCTS], skipDuplicates: true });
    if (count > 0) {
      this.logger.log(`Seeded ${count} sample products`);
    }
  }
}
