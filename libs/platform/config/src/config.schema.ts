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
export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: integer(1, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// connection URL' }).optional(),
  DATABASE_POOL_SIZE: integer(1, 200).default(10),
  DATABASE_MIGRATE_ON_START: booleanFlag.default(true),
  PGLITE_DATA_DIR: z.string().min(1).default('.data/pglite'),
  MIGRATIONS_DIR: z.string().min(1).default('prisma'),
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
  KAFKA_CLIENT_ID: z.string().min(1).default('nest-modulith'),
  KAFKA_TOPIC_PARTITIONS: integer(1, 1000).default(6),
  KAFKA_REPLICATION_FACTOR: integer(1, 10).default(1),
  OUTBOX_BATCH_SIZE: integer(1, 5000).default(200),
  OUTBOX_LEASE_MS: integer(1000, 600_000).default(30_000),
  OUTBOX_MAX_ATTEMPTS: integer(1, 100).default(10),
  OUTBOX_POLL_INTERVAL_MS: integer(10, 600_000).default(1_000),
  OUTBOX_RETENTION_HOURS: integer(1, 24 * 365).default(7 * 24),
  FULFILMENT_RESERVATION_TIMEOUT_MS: integer(100, 86_400_000).default(120_000),
  FULFILMENT_PAYMENT_TIMEOUT_MS: integer(100, 86_400_000).default(30_000),
  FULFILMENT_RESEND_AFTER_MS: integer(50, 3_600_000).default(10_000),
  FULFILMENT_MAX_RESEND_AFTER_MS: integer(50, 3_600_000).default(60_000),
  FULFILMENT_TIMER_INTERVAL_MS: integer(10, 600_000).default(1_000),
});

export type Environment = z.infer<typeof environmentSchema>;
