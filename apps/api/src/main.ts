import './instrumentation';
import 'reflect-metadata';
import { ConfigurationError, loadConfig } from '@platform/config';
import { closeGracefullyOnSignals } from '@platform/defaults';
import { withPaymentGateway } from '../../payment-gateway/src/embedded';
import { createApiApp } from './api-app';

async function main(): Promise<void> {
  const { config, stop: stopPaymentGateway, announce } = await withPaymentGateway(loadConfig());
  const app = await createApiApp(config);
  announce();
  closeGracefullyOnSignals(app, config.http.shutdownGraceMs, stopPaymentGateway);
  await app.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  // Configuration errors name the bad variables; anything else at startup is unexpected.
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
