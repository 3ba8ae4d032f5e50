import './instrumentation';
import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigurationError, loadConfig } from '@platform/config';
import { closeGracefullyOnSignals } from '@platform/defaults';
import { listenForHealthChecks } from '@platform/health';
import { Logger } from 'nestjs-pino';
import { withPaymentGateway } from '../../payment-gateway/src/embedded';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const { config, stop: stopPaymentGateway, announce } = await withPaymentGateway(loadConfig());
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  announce();
  // Run once the application has closed, in order: the health checks answer 503 (draining) until then.
  const afterClose: Array<() => Promise<void>> = [stopPaymentGateway];
  closeGracefullyOnSignals(app, config.http.shutdownGraceMs, async () => {
    for (const stop of afterClose) {
      await stop();
    }
  });
  await app.init();
  // After init: a startup probe passes once migrations, seeding and the consumers are in place.
  const health = await listenForHealthChecks(app, config.http);
  afterClose.unshift(() => health.close());
  new NestLogger('Worker').log(`Worker started; health checks on ${config.http.host}:${health.port}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
