import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Meter } from '@opentelemetry/api';
import type { BreakerOptions, CircuitBreakers } from '@platform/resilience';
import { CacheEngine, type ResolvedRegionOptions } from './cache-engine';
import { CacheMetrics, type RegionStats } from './cache-metrics';
import { CacheRegion } from './cache-region';
import { type CacheLogger, RedisL2 } from './redis-l2';

/** The breaker every Redis call of the cache goes through. */
export const REDIS_BREAKER = 'redis';

export interface CachesOptions {
  /** Redis for L2 and the invalidation channel; null: L1 only, invalidations local to the process. */
  redisUrl: string | null;
  /** L1's bound, all regions together. */
  l1MaxEntries: number;
  /** Default L1 lifetime: the staleness bound when an invalidation message is lost. */
  l1TtlMs: number;
  /** Default L2 lifetime. */
  l2TtlMs: number;
  /** Time limit of each Redis call. */
  redisTimeoutMs: number;
  /** Where the `redis` breaker comes from; required with a redisUrl. */
  breakers?: CircuitBreakers;
  logger?: CacheLogger;
  /** Prefix of the Redis keys and channel; 'cache' by default (tests isolate runs with their own). */
  namespace?: string;
  /** Options of the `redis` breaker over BREAKER_DEFAULTS (it is always optional); tests shorten it. */
  breaker?: Omit<BreakerOptions, 'isOptional'>;
  /** Milliseconds since the epoch; Date.now by default. Drives TTLs and staleness (tests move it). */
  clock?: () => number;
  /** OpenTelemetry meter; the global API's by default. */
  meter?: Meter;
}

export interface RegionOptions {
  /** L1 lifetime of this region's entries; CACHE_L1_TTL_MS by default. */
  l1TtlMs?: number;
  /** L2 lifetime; CACHE_L2_TTL_MS by default. */
  l2TtlMs?: number;
  /**
   * Age (since the value was loaded) past which an entry is still served but refreshed in the
   * background. By default half the value's longest lifetime: l2TtlMs with Redis, l1TtlMs without.
   */
  staleAfterMs?: number;
}

export type RedisState = 'up' | 'down' | 'not configured';

export interface CacheStats {
  redis: RedisState;
  l1: { entries: number; maxEntries: number; clears: number };
  regions: Record<string, RegionStats>;
}

const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * The process's two-level cache: `region(name, options)` declares what is cached, and returns the
 * object a module reads and invalidates through. L1 is one in-process LRU for every region
 * (bounded by `l1MaxEntries`); L2 is Redis when `redisUrl` is set, reached through the optional
 * `redis` breaker with a timeout per call. See README.md for the guarantees.
 */
@Injectable()
export class Caches implements OnApplicationShutdown {
  private readonly engine: CacheEngine;
  private readonly metrics: CacheMetrics;
  private readonly l2: RedisL2 | null;
  private readonly regions = new Map<string, CacheRegion<unknown>>();

  constructor(private readonly options: CachesOptions) {
    const logger = options.logger ?? { log: () => undefined, warn: () => undefined };
    this.metrics = new CacheMetrics(options.meter);
    if (options.redisUrl) {
      if (!options.breakers) throw new Error('Caches: a redisUrl needs the CircuitBreakers registry (breakers)');
      this.l2 = new RedisL2({
        url: options.redisUrl,
        namespace: options.namespace ?? 'cache',
        timeoutMs: options.redisTimeoutMs,
        // Optional: without Redis the cache degrades to its loaders, it never fails readiness.
        breaker: options.breakers.for(REDIS_BREAKER, { ...options.breaker, isOptional: true }),
        logger,
        // Both fire on Redis events, long after the constructor has set the engine.
        onSubscribed: () => this.engine.resubscribed(),
        onInvalidation: (region, keys) => this.engine.received(region, keys),
      });
    } else {
      this.l2 = null;
    }
    const clock = options.clock ?? Date.now;
    this.engine = new CacheEngine(
      this.l2,
      this.metrics,
      clock,
      (message) => logger.warn(message),
      options.l1MaxEntries,
    );
  }

  /**
   * The region `name` (letters, digits, '.', '_', '-'; e.g. 'catalog.products'), created the first
   * time; asking again with other options throws, as two declarations of one region that disagree
   * are a bug. The same name in every instance means the same keys in Redis.
   */
  region<V>(name: string, options: RegionOptions = {}): CacheRegion<V> {
    if (!REGION_NAME.test(name)) {
      throw new Error(`Cache region name "${name}" must match ${REGION_NAME} (it is part of the Redis keys)`);
    }
    const resolved = this.resolve(name, options);
    const existing = this.regions.get(name);
    if (existing) {
      const differing = (Object.keys(resolved) as Array<keyof ResolvedRegionOptions>).filter(
        (key) => resolved[key] !== existing.options[key],
      );
      if (differing.length > 0) {
        throw new Error(`Cache region "${name}" already exists with other options (${differing.join(', ')})`);
      }
      return existing as CacheRegion<V>;
    }
    const region = new CacheRegion<V>(name, resolved, this.engine, this.metrics);
    this.regions.set(name, region as CacheRegion<unknown>);
    this.metrics.region(name);
    return region;
  }

  /** Redis as readiness reports it: `up` when commands and the subscription work and the breaker is not open. */
  get redis(): RedisState {
    return this.l2 ? this.l2.state : 'not configured';
  }

  /** For /health/ready: never a failure, the cache works (slower) without Redis. */
  health(): { redis: RedisState; l1Entries: number } {
    return { redis: this.redis, l1Entries: this.engine.l1Entries };
  }

  /** Counters per region, L1's size and how often it was cleared (a copy, for tests and logs). */
  stats(): CacheStats {
    return {
      redis: this.redis,
      l1: { entries: this.engine.l1Entries, maxEntries: this.engine.maxEntries, clears: this.engine.l1Clears },
      regions: this.metrics.snapshot(),
    };
  }

  /**
   * Resolves true once Redis is usable (commands and subscription), false after `timeoutMs`; true
   * at once without Redis. The application does not wait for it: until then reads use the loaders.
   */
  whenConnected(timeoutMs = 5_000): Promise<boolean> {
    return this.l2 ? this.l2.whenConnected(timeoutMs) : Promise.resolve(true);
  }

  /**
   * After the consumers have stopped (they stop before application shutdown), so that an
   * invalidation they make while draining still reaches Redis.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Closes the Redis connections; reads after this go to the loaders. */
  async close(): Promise<void> {
    await this.l2?.close();
  }

  private resolve(name: string, options: RegionOptions): ResolvedRegionOptions {
    const l1TtlMs = options.l1TtlMs ?? this.options.l1TtlMs;
    const l2TtlMs = options.l2TtlMs ?? this.options.l2TtlMs;
    const staleAfterMs = options.staleAfterMs ?? Math.floor((this.l2 ? l2TtlMs : l1TtlMs) / 2);
    for (const [setting, ms] of Object.entries({ l1TtlMs, l2TtlMs, staleAfterMs })) {
      if (!Number.isInteger(ms) || ms < 1) {
        throw new RangeError(`Cache region "${name}": ${setting} must be a positive integer (ms), got ${ms}`);
      }
    }
    return { l1TtlMs, l2TtlMs, staleAfterMs };
  }
}
