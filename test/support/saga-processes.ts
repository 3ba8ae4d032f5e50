import { Client } from 'pg';
import { startPaymentGateway, type RunningPaymentGateway } from '../../apps/payment-gateway/src/gateway';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface SagaProcessesFixture {
  readonly database: TestDatabase;
  readonly gateway: RunningPaymentGateway;
  /** A client of the test database, for the assertions. */
  readonly sql: Client;
  /** What every app process of the test gets: the database, the simulator, and quick takeovers after a kill. */
  env(): Record<string, string>;
}

/**
 * For tests that run the saga in app processes and kill or stop them: a database, the payment gateway
 * simulator and a SQL client, made before the tests and removed after (call it inside `describe`).
 */
export function sagaProcessesFixture(): SagaProcessesFixture {
  let database: TestDatabase;
  let gateway: RunningPaymentGateway;
  let sql: Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    gateway = await startPaymentGateway();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.end();
    await gateway.close();
    await database.drop();
  });
  return {
    get database() {
      return database;
    },
    get gateway() {
      return gateway;
    },
    get sql() {
      return sql;
    },
    env: () => ({
      DATABASE_URL: database.url,
      PAYMENT_GATEWAY_URL: gateway.url,
      PAYMENT_GATEWAY_TIMEOUT_MS: '5000',
      // The machine is shared with other suites: shedding on event-loop delay is tested elsewhere, on purpose.
      LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
      OUTBOX_POLL_INTERVAL_MS: '100',
      // Rows a killed relay had leased are taken over after this: short, so the test does not wait 30 s.
      OUTBOX_LEASE_MS: '2000',
      FULFILMENT_TIMER_INTERVAL_MS: '100',
      FULFILMENT_RESEND_AFTER_MS: '1000',
      FULFILMENT_MAX_RESEND_AFTER_MS: '2000',
      FULFILMENT_PAYMENT_TIMEOUT_MS: '60000',
    }),
  };
}
