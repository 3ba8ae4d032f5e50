import fastifyRateLimit, { type FastifyRateLimitStore, normalizeIP } from '@fastify/rate-limit';
import LocalStore from '@fastify/rate-limit/store/LocalStore';
import RedisStore from '@fastify/rate-limit/store/RedisStore';
import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { principalOf } from '@platform/auth';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';

export interface RateLimitOptions {
  /** Requests per window for one authenticated client; 0: no limit. */
  perClient: number;
  /** Requests per window for one anonymous IP address (an IPv6 /64); 0: no limit. */
  perIp: number;
  windowMs: number;
  /** Counters shared by every instance; null: each instance counts alone (embedded mode). */
  redisUrl: string | null;
  /** Time limit of one Redis call, beyond which the instance counts locally for that request. */
  redisTimeoutMs: number;
  /** Prefix of the counters' keys: deployments sharing a Redis each take their own. */
  namespace: string;
  /** Paths starting with these are never limited (probes and scrapers must always get through). */
  exempt: readonly string[];
}

type Callback = Parameters<FastifyRateLimitStore['incr']>[1];

/** Rate limit exceeded; mapped to 429 problem details, Retry-After set by the limiter. */
export class RateLimited extends HttpException {
  constructor(max: number, windowMs: number, retryAfterSeconds: number) {
    super(
      `More than ${max} requests in ${windowMs / 1000} s from this client; retry after ${retryAfterSeconds} s.`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Limits requests per caller with @fastify/rate-limit: per verified token subject when there is
 * one, per IP address otherwise. The address is Fastify's `request.ip`, which believes
 * X-Forwarded-For only from TRUSTED_PROXIES, so a forged header does not open a new bucket.
 * Counters live in Redis so that every instance shares them; when Redis fails or is slow, the
 * instance counts on its own for that request (limits then hold per instance, not globally),
 * rather than letting everything through or refusing everything.
 */
export async function limitRate(fastify: FastifyInstance, options: RateLimitOptions): Promise<void> {
  if (options.perClient === 0 && options.perIp === 0) {
    return;
  }
  const clientKey = (request: FastifyRequest): string => {
    const principal = principalOf(request);
    return principal ? `client:${principal.subject}` : `ip:${normalizeIP(request.ip)}`;
  };
  const maxFor = (key: string) => (key.startsWith('client:') ? options.perClient : options.perIp);
  const redis = options.redisUrl === null ? null : connect(options.redisUrl, options.redisTimeoutMs);
  if (redis) {
    fastify.addHook('onClose', async () => {
      redis.disconnect();
    });
  }
  await fastify.register(fastifyRateLimit, {
    timeWindow: options.windowMs,
    keyGenerator: clientKey,
    max: (_request: FastifyRequest, key: string) => maxFor(key),
    allowList: (request: FastifyRequest, key: string) =>
      maxFor(key) === 0 || options.exempt.some((prefix) => request.url.startsWith(prefix)),
    ...(redis ? { store: failoverStore(redis, `${options.namespace}:rate-limit:`) } : {}),
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      new RateLimited(context.max, options.windowMs, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}

function connect(url: string, timeoutMs: number): Redis {
  const redis = new Redis(url, {
    connectionName: 'rate-limit',
    // Down or slow, Redis answers with an error at once or after timeoutMs: never a queued request.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: 2_000,
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(1_000, 50 * attempt),
  });
  let down = false;
  const logger = new Logger('RateLimit');
  redis.on('ready', () => {
    if (down) logger.log('Redis is back: rate limits are shared by every instance again');
    down = false;
  });
  redis.on('error', (error: Error) => {
    if (!down) logger.warn(`Redis unavailable (${error.message}): rate limits count per instance until it is back`);
    down = true;
  });
  return redis;
}

/**
 * The library's Redis store, falling back to its in-memory store for any call that fails. The
 * stores are the library's own (constructors, Lua script); only the choice between them is ours.
 */
function failoverStore(redis: Redis, prefix: string) {
  return class FailoverStore implements FastifyRateLimitStore {
    private readonly shared = new RedisStore(false, false, redis, prefix);
    private readonly local = new LocalStore(false, false);

    incr(key: string, callback: Callback, timeWindow: number, max: number): void {
      this.shared.incr(
        key,
        (error, result) => (error ? this.local.incr(key, callback, timeWindow, max) : callback(null, result)),
        timeWindow,
        max,
      );
    }

    child(): FastifyRateLimitStore {
      throw new Error('Per-route rate limits are not used: one limit per caller for the whole API');
    }
  };
}
