/**
 * The payment gateway simulator as its own process: `node dist/apps/payment-gateway/main.js`.
 * Configured by PORT (3100), HOST (0.0.0.0), LOG_LEVEL (info) and FAULT_LATENCY_MS, FAULT_ERROR_RATE (0..1),
 * FAULT_HANG, FAULT_OUTAGE; a bad value stops it (exit 1) naming the variable. SIGTERM/SIGINT close it, exit 0.
 */
import { pino } from 'pino';
import { readGatewayEnvironment, startPaymentGateway } from './gateway';

/** Closing ends held requests at once, so it is quick; past this the process exits 1 anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const { host, port, logLevel, faults } = readGatewayEnvironment(process.env);
  const logger = pino({ level: logLevel, base: { service: 'payment-gateway' } });
  const gateway = await startPaymentGateway({ host, port, faults, logger });
  logger.info({ url: gateway.url, faults }, 'Payment gateway simulator started');

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info(`${signal} received: closing`);
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${SHUTDOWN_GRACE_MS} ms; exiting now`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
