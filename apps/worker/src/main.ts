import './instrumentation';
import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigurationError, loadConfig } from '@platform/config';
import { closeGracefullyOnSignals } from '@platform/defaults';
import { Logger } from 'nestjs-pino';
import { withPaymentGateway } from '../../payment-gateway/src/embedded';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const { config, stop: stopPaymentGateway, announce } = await withPaymentGateway(loadConfig());
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  announce();
  closeGracefullyOnSignals(app, config.http.shutdownGraceMs, stopPaymentGateway);
  await app.init();
  new NestLogger('Worker').log('Worker started');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
