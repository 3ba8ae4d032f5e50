import { createServer, type Server } from 'node:http';
import { type INestApplicationContext, HttpException } from '@nestjs/common';
import { HealthController } from './health.controller';

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * GET /health/live and /health/ready for a process without an HTTP application (the worker), so
 * that an orchestrator probes it as it probes the api: the same controller, the same answers (200,
 * or 503 with the failing checks), and readiness off as soon as shutdown starts. Nothing else is
 * served: a Nest HTTP adapter would also serve every module's controllers.
 */
export async function listenForHealthChecks(
  app: INestApplicationContext,
  { host, port }: { host: string; port: number },
): Promise<HealthServer> {
  const controller = app.get(HealthController);
  const routes: Record<string, () => Promise<unknown>> = {
    '/health/live': () => controller.live(),
    '/health/ready': () => controller.ready(),
  };
  const server: Server = createServer((request, response) => {
    const route = routes[(request.url ?? '').split('?')[0] ?? ''];
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    if (!route || (request.method !== 'GET' && request.method !== 'HEAD')) {
      answer(404, {
        status: 404,
        title: 'Not Found',
        detail: 'This port serves GET /health/live and /health/ready only',
      });
      return;
    }
    route().then(
      (result) => answer(200, result),
      (error: unknown) =>
        error instanceof HttpException
          ? answer(error.getStatus(), error.getResponse())
          : answer(503, { status: 'error', error: { message: (error as Error).message } }),
    );
  });
  // Probes open a connection each; none should hold shutdown up.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
