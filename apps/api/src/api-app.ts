import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@platform/config';
import { createHttpApp } from '@platform/http';
import { ApiModule } from './app.module';

/** The api application, configured but not listening: main.ts and the e2e tests both start it. */
export function createApiApp(config: AppConfig): Promise<NestFastifyApplication> {
  return createHttpApp(ApiModule.forRoot(config), config, {
    title: 'nest-modulith API',
    description: 'Order processing: catalog, ordering, inventory. Errors are application/problem+json (RFC 9457).',
    version: '0.1.0',
  });
}
