import { z } from 'zod';

const booleanFlag = z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'] });

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected an integer between ${min} and ${max}` })
    .int({ error: `expected an integer between ${min} and ${max}` })
    .min(min, { error: `expected an integer between ${min} and ${max}` })
    .max(max, { error: `expected an integer between ${min} and ${max}` });

/**
 * Every environment variable the process reads, in one place. Names and defaults are part of the
 * project's contract (see .env.example); a value that does not fit stops the process at startup.
 */
/** Signature algorithms a JWKS can hold: asymmetric only, so a public key can never verify an HMAC token. */
export const TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0),
    )
    .pipe(z.array(item));

export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: integer(1, 65535).default(3000),
  /** The worker's Prometheus endpoint (/metrics); the api serves /metrics on PORT. */
  METRICS_PORT: integer(1, 65535).default(9464),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// connection URL' }).optional(),
  /** Connections at work at once, all the process's pools together: the platform's and one per module (ADR 0012). */
  DATABASE_POOL_SIZE: integer(1, 200).default(10),
  /** Named prepared statements; false behind a pooler that cannot keep them (PgBouncer < 1.21, transaction mode). */
  DATABASE_PREPARED_STATEMENTS: booleanFlag.default(true),
  DATABASE_MIGRATE_ON_START: booleanFlag.default(true),
  PGLITE_DATA_DIR: z.string().min(1).default('.data/pglite'),
  MIGRATIONS_DIR: z.string().min(1).default('prisma'),
  /** How long `migrate --wait` (a pod's init container) waits for the migrations of its image to be applied. */
  MIGRATIONS_WAIT_TIMEOUT_MS: integer(1_000, 3_600_000).default(300_000),
  SEED_SAMPLE_DATA: booleanFlag.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_HTTP_REQUESTS: booleanFlag.default(true),
  HTTP_BODY_LIMIT_BYTES: integer(1024, 10 * 1024 * 1024).default(65536),
  SHUTDOWN_GRACE_MS: integer(0, 120_000).default(10_000),
  /** Default: 500 on PostgreSQL, 0 (off) on the embedded database, whose work runs on the event loop. */
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: integer(0, 60_000).optional(),
  LOAD_SHED_MAX_IN_FLIGHT: integer(0, 1_000_000).default(2_000),
  LOAD_SHED_RETRY_AFTER_SECONDS: integer(1, 3600).default(2),
  PAYMENT_GATEWAY_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s):// URL' }).optional(),
  PAYMENT_GATEWAY_TIMEOUT_MS: integer(50, 60_000).default(2_000),
  PAYMENT_GATEWAY_ATTEMPTS: integer(1, 10).default(3),
  PAYMENT_GATEWAY_CONCURRENCY: integer(1, 10_000).default(64),
  PAYMENT_GATEWAY_QUEUE: integer(0, 100_000).default(256),
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, { error: 'expected host:port[,host:port...]' })
    .optional(),
  /** Which deployable relays the outboxes and runs the consumers and timers (default: worker with Kafka, else api). */
  BACKGROUND_WORK_IN: z.enum(['api', 'worker']).optional(),
  /** Lets SIGUSR2 switch the message broker off and on (chaos testing): never set it in production. */
  MESSAGING_FAULT_INJECTION: booleanFlag.default(false),
  /** Partitions per topic of the in-process broker: how many messages of one consumer group are handled at once. */
  IN_PROCESS_BROKER_PARTITIONS: integer(1, 256).default(64),
  /** Messages an event consumer applies in one transaction at most, when they arrive together (1: each alone). */
  INBOX_MAX_BATCH_SIZE: integer(1, 1000).default(32),
  KAFKA_CLIENT_ID: z.string().min(1).default('nest-modulith'),
  KAFKA_TOPIC_PARTITIONS: integer(1, 1000).default(6),
  KAFKA_REPLICATION_FACTOR: integer(1, 10).default(1),
  /** min.insync.replicas of the topics the app creates (at most the replication factor); unset: the broker's default. */
  KAFKA_MIN_INSYNC_REPLICAS: integer(1, 10).optional(),
  /** TLS to the brokers, verified against the system's certificate authorities (managed Kafka requires it). */
  KAFKA_TLS: booleanFlag.default(false),
  /** SASL authentication to the brokers: the mechanism, with a user name and a password; unset, none. */
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  OUTBOX_BATCH_SIZE: integer(1, 5000).default(200),
  /** Relays per outbox in the relaying process (default: 1 with Kafka, 4 with the in-process broker). */
  OUTBOX_RELAYS: integer(1, 32).optional(),
  OUTBOX_LEASE_MS: integer(1000, 600_000).default(30_000),
  OUTBOX_MAX_ATTEMPTS: integer(1, 100).default(10),
  OUTBOX_POLL_INTERVAL_MS: integer(10, 600_000).default(1_000),
  OUTBOX_RETENTION_HOURS: integer(1, 24 * 365).default(7 * 24),
  FULFILMENT_RESERVATION_TIMEOUT_MS: integer(100, 86_400_000).default(120_000),
  FULFILMENT_PAYMENT_TIMEOUT_MS: integer(100, 86_400_000).default(30_000),
  FULFILMENT_RESEND_AFTER_MS: integer(50, 3_600_000).default(10_000),
  FULFILMENT_MAX_RESEND_AFTER_MS: integer(50, 3_600_000).default(60_000),
  FULFILMENT_TIMER_INTERVAL_MS: integer(10, 600_000).default(1_000),
  /** The cache's L2 and its invalidation channel; unset, the cache is in-process only (L1). */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }).optional(),
  /** Entries the in-process cache (L1) holds at most, all regions together: its memory bound. */
  CACHE_L1_MAX_ENTRIES: integer(1, 10_000_000).default(10_000),
  /** L1 lifetime: the bound on staleness when an invalidation message is lost. */
  CACHE_L1_TTL_MS: integer(10, 3_600_000).default(5_000),
  /** L2 (Redis) lifetime. */
  CACHE_L2_TTL_MS: integer(1_000, 30 * 86_400_000).default(300_000),
  /** Time limit of one Redis call; beyond it the read goes to the loader. */
  CACHE_REDIS_TIMEOUT_MS: integer(1, 60_000).default(100),
  /** Prefix of the cache's Redis keys and channel: deployments (and test runs) sharing a Redis each take their own. */
  CACHE_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'expected 1 to 64 letters, digits, ".", "_" or "-"' })
    .default('cache'),
  /** The token issuer (`iss`), the API's audience (`aud`) and the issuer's signing keys: all three, or none. */
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s):// URL' }).optional(),
  AUTH_ALGORITHMS: commaList(z.enum(TOKEN_ALGORITHMS))
    .refine((algorithms) => algorithms.length > 0, { error: `expected some of ${TOKEN_ALGORITHMS.join(', ')}` })
    .default(['RS256', 'ES256']),
  /** Dotted path to the array of role names in the token; Keycloak puts realm roles at realm_access.roles. */
  AUTH_ROLES_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/, { error: 'expected a dotted claim path' })
    .default('realm_access.roles'),
  AUTH_ADMIN_ROLE: z.string().min(1).default('admin'),
  AUTH_CLOCK_TOLERANCE_SECONDS: integer(0, 300).default(5),
  /** Tokens minted by the process itself (keys generated at boot): local development only, refused in production. */
  AUTH_DEV_ISSUER: booleanFlag.optional(),
  /** Proxies whose X-Forwarded-For is believed (IPs or CIDRs); others' is ignored, so it cannot dodge a limit. */
  TRUSTED_PROXIES: commaList(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()])).default([]),
  /** Browser origins allowed to call the API (exact `scheme://host[:port]`); none by default. */
  CORS_ORIGINS: commaList(
    z.url({ protocol: /^https?$/ }).regex(/^[^/]+\/\/[^/]+$/, { error: 'expected an origin' }),
  ).default([]),
  /** Requests per window per authenticated client, and per IP address for anonymous ones; 0 turns a limit off. */
  RATE_LIMIT_PER_CLIENT: integer(0, 10_000_000).default(1_200),
  RATE_LIMIT_PER_IP: integer(0, 10_000_000).default(300),
  RATE_LIMIT_WINDOW_MS: integer(100, 86_400_000).default(60_000),
});

export type Environment = z.infer<typeof environmentSchema>;
