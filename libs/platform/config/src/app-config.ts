import { environmentSchema, type Environment } from './config.schema';

export type DatabaseConfig =
  { kind: 'postgres'; url: string; poolSize: number } | { kind: 'embedded'; dataDir: string };

/** The validated configuration, shaped for the code that uses it rather than as raw variables. */
export interface AppConfig {
  environment: Environment['NODE_ENV'];
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    shutdownGraceMs: number;
    loadShedding: { maxEventLoopDelayMs: number; maxInFlight: number; retryAfterSeconds: number };
  };
  database: DatabaseConfig & { migrateOnStart: boolean; migrationsDir: string };
  seedSampleData: boolean;
  log: { level: Environment['LOG_LEVEL']; httpRequests: boolean };
  /** The payment provider; no URL: the api starts the simulator in-process (apps/payment-gateway). */
  paymentGateway: { url: string | null; timeoutMs: number; attempts: number; concurrency: number; queue: number };
  /** Kafka when KAFKA_BROKERS is set; otherwise the in-process broker (one process only). */
  kafka: { brokers: string[]; clientId: string; partitions: number; replicationFactor: number } | null;
  outbox: {
    batchSize: number;
    leaseMs: number;
    maxAttempts: number;
    pollIntervalMs: number;
    retentionMs: number;
  };
  /** The fulfilment saga's timeouts (ordering) and how often the timer looks for due sagas. */
  fulfilment: {
    reservationTimeoutMs: number;
    paymentTimeoutMs: number;
    resendAfterMs: number;
    maxResendAfterMs: number;
    timerIntervalMs: number;
  };
  /** Redis, for the cache's L2 and its invalidation messages; null: the cache is in-process only. */
  redisUrl: string | null;
  /** The two-level cache (libs/platform/cache); regions may override the TTLs. */
  cache: { l1MaxEntries: number; l1TtlMs: number; l2TtlMs: number; redisTimeoutMs: number; namespace: string };
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** Connection URLs may hold a password: a bad one is named, never echoed. */
const SECRET_BEARING = new Set(['DATABASE_URL', 'REDIS_URL']);

/** Reads and validates the environment. Throws a ConfigurationError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = env[name];
        const shown = SECRET_BEARING.has(name) ? '(value hidden)' : JSON.stringify(value);
        return `${name}: ${issue.message} (got ${shown})`;
      }),
    );
  }
  const e = parsed.data;
  const database: DatabaseConfig = e.DATABASE_URL
    ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
    : { kind: 'embedded', dataDir: e.PGLITE_DATA_DIR };
  return {
    environment: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      loadShedding: {
        // PGlite runs its queries on the event loop: there, delay measures database work, not overload.
        maxEventLoopDelayMs: e.LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS ?? (database.kind === 'embedded' ? 0 : 500),
        maxInFlight: e.LOAD_SHED_MAX_IN_FLIGHT,
        retryAfterSeconds: e.LOAD_SHED_RETRY_AFTER_SECONDS,
      },
    },
    database: { ...database, migrateOnStart: e.DATABASE_MIGRATE_ON_START, migrationsDir: e.MIGRATIONS_DIR },
    seedSampleData: e.SEED_SAMPLE_DATA,
    log: { level: e.LOG_LEVEL, httpRequests: e.LOG_HTTP_REQUESTS },
    paymentGateway: {
      url: e.PAYMENT_GATEWAY_URL ?? null,
      timeoutMs: e.PAYMENT_GATEWAY_TIMEOUT_MS,
      attempts: e.PAYMENT_GATEWAY_ATTEMPTS,
      concurrency: e.PAYMENT_GATEWAY_CONCURRENCY,
      queue: e.PAYMENT_GATEWAY_QUEUE,
    },
    kafka: e.KAFKA_BROKERS
      ? {
          brokers: e.KAFKA_BROKERS.split(','),
          clientId: e.KAFKA_CLIENT_ID,
          partitions: e.KAFKA_TOPIC_PARTITIONS,
          replicationFactor: e.KAFKA_REPLICATION_FACTOR,
        }
      : null,
    outbox: {
      batchSize: e.OUTBOX_BATCH_SIZE,
      leaseMs: e.OUTBOX_LEASE_MS,
      maxAttempts: e.OUTBOX_MAX_ATTEMPTS,
      pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
      retentionMs: e.OUTBOX_RETENTION_HOURS * 3600_000,
    },
    fulfilment: {
      reservationTimeoutMs: e.FULFILMENT_RESERVATION_TIMEOUT_MS,
      paymentTimeoutMs: e.FULFILMENT_PAYMENT_TIMEOUT_MS,
      resendAfterMs: e.FULFILMENT_RESEND_AFTER_MS,
      maxResendAfterMs: Math.max(e.FULFILMENT_MAX_RESEND_AFTER_MS, e.FULFILMENT_RESEND_AFTER_MS),
      timerIntervalMs: e.FULFILMENT_TIMER_INTERVAL_MS,
    },
    redisUrl: e.REDIS_URL ?? null,
    cache: {
      l1MaxEntries: e.CACHE_L1_MAX_ENTRIES,
      l1TtlMs: e.CACHE_L1_TTL_MS,
      l2TtlMs: e.CACHE_L2_TTL_MS,
      redisTimeoutMs: e.CACHE_REDIS_TIMEOUT_MS,
      namespace: e.CACHE_NAMESPACE,
    },
  };
}
