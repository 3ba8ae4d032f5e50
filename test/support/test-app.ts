import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@platform/config';
import request from 'supertest';
import { createApiApp } from '../../apps/api/src/api-app';
import { withPaymentGateway } from '../../apps/payment-gateway/src/embedded';
import { createTestDatabase, type TestDatabase } from './test-database';
import { testIssuer, type TestIssuer } from './test-issuer';

/** Requests sent with a bearer token: what `app.as(customer)` gives. */
export type AuthenticatedHttp = ReturnType<typeof request.agent>;

export interface TestApp {
  app: NestFastifyApplication;
  /** Anonymous requests (no token). */
  http: ReturnType<typeof request>;
  /** Requests as `subject` (a customer, or an operator with `{ admin: true }`), through a token of `issuer`. */
  as(subject: string, options?: { admin?: boolean }): AuthenticatedHttp;
  /** The OpenID provider the app trusts (its JWKS is fetched over HTTP). */
  issuer: TestIssuer;
  database: TestDatabase;
  /** The payment gateway the app uses (the simulator, started for it): its /admin routes set faults. */
  paymentGatewayUrl: string;
  /** Replaces the simulator's faults (`{}` clears them): `{ latencyMs?, errorRate?, hang?, outage? }`. */
  setGatewayFaults(faults: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real api application on a fresh PostgreSQL database of its own, migrated and seeded; or, given
 * `shared`, on that database (a second instance of the same deployment), which `close` leaves alone.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  shared?: { database: TestDatabase },
): Promise<TestApp> {
  const database = shared?.database ?? (await createTestDatabase());
  const issuer = await testIssuer();
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    LOG_HTTP_REQUESTS: 'false',
    // A jest worker's event loop also runs the tests: shedding on its delay is tested on purpose only.
    LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    DATABASE_URL: database.url,
    ...issuer.env,
    // Tests send many requests from one address and one customer: limits are tested on purpose only.
    RATE_LIMIT_PER_CLIENT: '1000000',
    RATE_LIMIT_PER_IP: '1000000',
    ...env,
  });
  const { config: withGateway, stop: stopPaymentGateway } = await withPaymentGateway(config);
  const app = await createApiApp(withGateway);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    http: request(app.getHttpServer()),
    as: (subject, options) =>
      request.agent(app.getHttpServer()).set('authorization', `Bearer ${issuer.tokenFor(subject, options)}`),
    issuer,
    database,
    paymentGatewayUrl: withGateway.paymentGateway.url!,
    setGatewayFaults: async (faults) => {
      const response = await fetch(`${withGateway.paymentGateway.url}/admin/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
      if (response.status !== 200) {
        throw new Error(`PUT /admin/faults answered ${response.status}: ${await response.text()}`);
      }
    },
    close: async () => {
      await app.close();
      await stopPaymentGateway();
      if (!shared) {
        await database.drop();
      }
    },
  };
}
