import 'reflect-metadata';
import { ConfigurationError, loadConfig } from '@platform/config';
import { createApiApp } from './api-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApiApp(config);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  // In-flight requests get SHUTDOWN_GRACE_MS to finish; past that the process stops anyway.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), config.http.shutdownGraceMs).unref());
  }
  await app.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  // Configuration errors name the bad variables; anything else at startup is unexpected.
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
