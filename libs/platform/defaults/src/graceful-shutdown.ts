import { type INestApplicationContext, Logger } from '@nestjs/common';

/**
 * SIGTERM/SIGINT: stop taking work, let what is in flight finish, release resources, exit 0.
 * Nest's own shutdown hooks would re-raise the signal and end the process with it; orchestrators
 * read that as a crash. If the shutdown takes longer than `graceMs`, the process exits 1 anyway.
 */
export function closeGracefullyOnSignals(
  app: INestApplicationContext,
  graceMs: number,
  /** Runs after the application closed: things started outside it (an in-process simulator). */
  afterClose: () => Promise<void> = async () => undefined,
): void {
  const logger = new Logger('Shutdown');
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      return;
    }
    closing = true;
    logger.log(`${signal} received: finishing in-flight work (at most ${graceMs} ms)`);
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${graceMs} ms; exiting now`);
      process.exit(1);
    }, graceMs).unref();
    app
      .close()
      .then(afterClose)
      .then(
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
