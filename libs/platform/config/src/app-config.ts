import { environmentSchema, type Environment } from './config.schema';

/** How bearer tokens are verified: shared by both kinds of issuer. */
interface TokenRules {
  audience: string;
  algorithms: string[];
  /** Dotted path to the token's array of role names. */
  rolesClaim: string;
  adminRole: string;
  clockToleranceSeconds: number;
}

/**
 * Who issues the tokens the API accepts: an OpenID Connect provider (its JWKS), the development
 * issuer inside the process, or nobody configured, which only a process serving no API may run with.
 */
export type AuthConfig =
  | ({ kind: 'jwks'; issuer: string; jwksUrl: string } & TokenRules)
  | ({ kind: 'development'; issuer: string } & TokenRules)
  | { kind: 'missing'; problem: string };

/** The `iss` and `aud` of the development issuer's tokens. */
export const DEVELOPMENT_ISSUER = 'urn:nest-modulith:development-issuer';
export const DEVELOPMENT_AUDIENCE = 'nest-modulith';

type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
/** One object type per mechanism, as kafkajs types them. */
export type KafkaSasl = { [M in SaslMechanism]: { mechanism: M; username: string; password: string } }[SaslMechanism];

export type DatabaseConfig =
  | { kind: 'postgres'; url: string; poolSize: number; preparedStatements: boolean }
  | { kind: 'embedded'; dataDir: string };

/** The validated configuration, shaped for the code that uses it rather than as raw variables. */
export interface AppConfig {
  environment: Environment['NODE_ENV'];
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    shutdownGraceMs: number;
    loadShedding: { maxEventLoopDelayMs: number; maxInFlight: number; retryAfterSeconds: number };
    /** Proxies (IPs, CIDRs) whose X-Forwarded-For names the client; empty: the peer address is the client. */
    trustedProxies: string[];
    corsOrigins: string[];
    /** Requests per window per authenticated client and per anonymous IP address; 0: no limit. */
    rateLimit: { perClient: number; perIp: number; windowMs: number };
  };
  auth: AuthConfig;
  database: DatabaseConfig & { migrateOnStart: boolean; migrationsDir: string; migrationsWaitTimeoutMs: number };
  seedSampleData: boolean;
  log: { level: Environment['LOG_LEVEL']; httpRequests: boolean };
  /** The payment provider; no URL: the api starts the simulator in-process (apps/payment-gateway). */
  paymentGateway: { url: string | null; timeoutMs: number; attempts: number; concurrency: number; queue: number };
  /** Kafka when KAFKA_BROKERS is set; otherwise the in-process broker (messages stay in one process). */
  kafka: {
    brokers: string[];
    clientId: string;
    partitions: number;
    replicationFactor: number;
    /** null: the broker's default. */
    minInSyncReplicas: number | null;
    tls: boolean;
    /** null: no authentication. */
    sasl: KafkaSasl | null;
  } | null;
  /**
   * The deployable that relays the outboxes and runs the consumers and the timers: the worker with
   * Kafka; with the in-process broker the api by default, or a worker over a shared PostgreSQL
   * (its broker then lives in the worker, and the api only records events).
   */
  backgroundWorkIn: 'api' | 'worker';
  /** SIGUSR2 makes the broker unavailable, then available again (`npm run chaos`). */
  messagingFaultInjection: boolean;
  /**
   * Partitions per topic of the in-process broker. Each is handled in order, one message at a time,
   * so they bound the work of a consumer group in flight: a capture waiting 100 ms on the provider
   * holds its partition.
   */
  inProcessBrokerPartitions: number;
  /**
   * Messages an event consumer applies in one transaction at most: those delivered while its
   * previous transaction ran (from other partitions) share the next one, and its commit.
   */
  inboxMaxBatchSize: number;
  outbox: {
    /**
     * Relays per outbox. The in-process broker accepts a message once it is handled, so one relay
     * waits on its slowest consumer (a payment call): several keep the other events moving.
     */
    relays: number;
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
const SECRET_BEARING = new Set(['DATABASE_URL', 'REDIS_URL', 'KAFKA_SASL_PASSWORD']);

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
        const [name = '', item] = issue.path.map(String);
        const value = env[name];
        const shown = SECRET_BEARING.has(name) ? '(value hidden)' : JSON.stringify(value);
        // Lists (comma-separated) name the entry at fault.
        const where = item === undefined ? '' : `entry ${Number(item) + 1}: `;
        return `${name}: ${where}${issue.message} (got ${shown})`;
      }),
    );
  }
  const e = parsed.data;
  if (e.BACKGROUND_WORK_IN === 'worker' && !e.DATABASE_URL) {
    throw new ConfigurationError([
      'BACKGROUND_WORK_IN: "worker" needs DATABASE_URL (the embedded database lives inside the api process)',
    ]);
  }
  if (e.KAFKA_MIN_INSYNC_REPLICAS !== undefined && e.KAFKA_MIN_INSYNC_REPLICAS > e.KAFKA_REPLICATION_FACTOR) {
    throw new ConfigurationError([
      `KAFKA_MIN_INSYNC_REPLICAS: ${e.KAFKA_MIN_INSYNC_REPLICAS} exceeds KAFKA_REPLICATION_FACTOR (${e.KAFKA_REPLICATION_FACTOR}): no write could ever be acknowledged`,
    ]);
  }
  const saslSettings = [e.KAFKA_SASL_MECHANISM, e.KAFKA_SASL_USERNAME, e.KAFKA_SASL_PASSWORD];
  if (saslSettings.some((value) => value !== undefined) && saslSettings.some((value) => value === undefined)) {
    throw new ConfigurationError([
      'KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: all three, or none',
    ]);
  }
  if (e.KAFKA_SASL_MECHANISM === 'plain' && !e.KAFKA_TLS && e.NODE_ENV === 'production') {
    throw new ConfigurationError([
      'KAFKA_SASL_MECHANISM: "plain" sends the password as it is; in production it needs KAFKA_TLS=true',
    ]);
  }
  if (e.MESSAGING_FAULT_INJECTION && e.NODE_ENV === 'production') {
    throw new ConfigurationError(['MESSAGING_FAULT_INJECTION: fault injection cannot run with NODE_ENV=production']);
  }
  const auth = authConfig(e);
  const database: DatabaseConfig = e.DATABASE_URL
    ? {
        kind: 'postgres',
        url: e.DATABASE_URL,
        poolSize: e.DATABASE_POOL_SIZE,
        preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
      }
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
      trustedProxies: e.TRUSTED_PROXIES,
      corsOrigins: e.CORS_ORIGINS,
      rateLimit: { perClient: e.RATE_LIMIT_PER_CLIENT, perIp: e.RATE_LIMIT_PER_IP, windowMs: e.RATE_LIMIT_WINDOW_MS },
    },
    auth,
    database: {
      ...database,
      migrateOnStart: e.DATABASE_MIGRATE_ON_START,
      migrationsDir: e.MIGRATIONS_DIR,
      migrationsWaitTimeoutMs: e.MIGRATIONS_WAIT_TIMEOUT_MS,
    },
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
          minInSyncReplicas: e.KAFKA_MIN_INSYNC_REPLICAS ?? null,
          tls: e.KAFKA_TLS,
          sasl:
            e.KAFKA_SASL_MECHANISM && e.KAFKA_SASL_USERNAME && e.KAFKA_SASL_PASSWORD
              ? { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password: e.KAFKA_SASL_PASSWORD }
              : null,
        }
      : null,
    backgroundWorkIn: e.BACKGROUND_WORK_IN ?? (e.KAFKA_BROKERS ? 'worker' : 'api'),
    messagingFaultInjection: e.MESSAGING_FAULT_INJECTION,
    inProcessBrokerPartitions: e.IN_PROCESS_BROKER_PARTITIONS,
    inboxMaxBatchSize: e.INBOX_MAX_BATCH_SIZE,
    outbox: {
      relays: e.OUTBOX_RELAYS ?? (e.KAFKA_BROKERS ? 1 : 4),
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

const ISSUER_VARIABLES = ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL'] as const;

/**
 * No fallback secret and no silent default: outside embedded mode the issuer must be named, and the
 * development issuer (anyone who can reach it mints any token) never runs with NODE_ENV=production.
 */
function authConfig(e: Environment): AuthConfig {
  const rules: TokenRules = {
    audience: e.AUTH_AUDIENCE ?? DEVELOPMENT_AUDIENCE,
    algorithms: e.AUTH_ALGORITHMS,
    rolesClaim: e.AUTH_ROLES_CLAIM,
    adminRole: e.AUTH_ADMIN_ROLE,
    clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
  };
  const missing = ISSUER_VARIABLES.filter((name) => e[name] === undefined);
  if (missing.length > 0 && missing.length < ISSUER_VARIABLES.length) {
    throw new ConfigurationError(missing.map((name) => `${name}: required with ${ISSUER_VARIABLES.join(', ')}`));
  }
  if (e.AUTH_DEV_ISSUER === true && missing.length === 0) {
    throw new ConfigurationError(['AUTH_DEV_ISSUER: cannot be combined with AUTH_ISSUER; choose one issuer']);
  }
  if (e.AUTH_DEV_ISSUER === true && e.NODE_ENV === 'production') {
    throw new ConfigurationError(['AUTH_DEV_ISSUER: the development issuer cannot run with NODE_ENV=production']);
  }
  if (missing.length === 0) {
    return { kind: 'jwks', issuer: e.AUTH_ISSUER!, jwksUrl: e.AUTH_JWKS_URL!, ...rules };
  }
  const embeddedDevelopment = e.DATABASE_URL === undefined && e.NODE_ENV !== 'production';
  if (e.AUTH_DEV_ISSUER ?? embeddedDevelopment) {
    return { kind: 'development', issuer: DEVELOPMENT_ISSUER, ...rules, audience: DEVELOPMENT_AUDIENCE };
  }
  return {
    kind: 'missing',
    problem:
      `${ISSUER_VARIABLES.join(', ')}: required to serve the API ` +
      (e.NODE_ENV === 'production'
        ? 'with NODE_ENV=production'
        : 'outside embedded mode (or AUTH_DEV_ISSUER=true, for local development only)'),
  };
}
