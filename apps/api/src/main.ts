import 'reflect-metadata';
import { ConfigurationError, loadConfig } from '@platform/config';
import { closeGracefullyOnSignals } from '@platform/defaults';
import { createApiApp } from './api-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApiApp(config);
  closeGracefullyOnSignals(app, config.http.shutdownGraceMs);
  await app.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  // Configuration errors name the bad variables; anything else at startup is unexpected.
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
