import { type Counter, type Histogram, type Meter, metrics } from '@opentelemetry/api';

export type CacheLayer = 'l1' | 'l2' | 'loader';

/** Calls and their time in one layer: `totalMs / count` is the mean. */
export interface LatencyStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** A region's counters since the process started (or since the region was declared). */
export interface RegionStats {
  /** Keys found or not in L1. Not counted when L1 is bypassed (Redis failing, see `bypassed`). */
  l1: { hits: number; misses: number };
  /** Keys found or not in Redis; `errors`: Redis calls that failed, timed out or met an open breaker. */
  l2: { hits: number; misses: number; errors: number };
  /** Loader calls, the keys asked of it, and calls that threw. */
  loader: { calls: number; keys: number; errors: number };
  /** Keys served although older than staleAfterMs (stale-while-revalidate). */
  staleServed: number;
  /** Keys refreshed in the background after being served stale. */
  refreshes: number;
  /** Keys read straight from the loader, neither L1 nor L2 used, because Redis failed. */
  bypassed: number;
  /** Loaded values not stored because an invalidation came in between (the cache-aside race). */
  discarded: number;
  /** Keys invalidated through this instance, and keys dropped on an invalidation message. */
  invalidations: { sent: number; received: number };
  /** Per layer: L1 lookups, Redis calls (reads and writes), loader calls. */
  latencyMs: Record<CacheLayer, LatencyStats>;
}

type Counted = 'staleServed' | 'refreshes' | 'bypassed' | 'discarded';

const emptyLatency = (): LatencyStats => ({ count: 0, totalMs: 0, maxMs: 0 });

function emptyStats(): RegionStats {
  return {
    l1: { hits: 0, misses: 0 },
    l2: { hits: 0, misses: 0, errors: 0 },
    loader: { calls: 0, keys: 0, errors: 0 },
    staleServed: 0,
    refreshes: 0,
    bypassed: 0,
    discarded: 0,
    invalidations: { sent: 0, received: 0 },
    latencyMs: { l1: emptyLatency(), l2: emptyLatency(), loader: emptyLatency() },
  };
}

/**
 * The cache's metrics, twice: OpenTelemetry instruments (no-ops until an SDK is registered, which
 * must happen before the Caches service is created: the API has no proxy for meters), and the
 * same counts kept in memory, per region, for tests and logs (`Caches.stats()`).
 *
 * OpenTelemetry names, every one with the attributes `cache.region` and, where it says, `cache.layer`:
 * - `cache.hits`, `cache.misses` (l1, l2): keys found or not;
 * - `cache.errors` (l2, loader): failed Redis calls, failed loader calls;
 * - `cache.duration` (l1, l2, loader), seconds: one lookup, one Redis call, one loader call;
 * - `cache.loaded`: keys asked of the loader; `cache.stale_served`, `cache.refreshes`,
 *   `cache.bypassed`, `cache.discarded`: as in RegionStats;
 * - `cache.invalidations` with `cache.direction` (sent, received).
 */
export class CacheMetrics {
  private readonly regions = new Map<string, RegionStats>();
  private readonly hits: Counter;
  private readonly misses: Counter;
  private readonly errors: Counter;
  private readonly duration: Histogram;
  private readonly loaded: Counter;
  private readonly counters: Record<Counted, Counter>;
  private readonly invalidations: Counter;

  constructor(meter: Meter = metrics.getMeter('@platform/cache')) {
    this.hits = meter.createCounter('cache.hits', { description: 'Keys found in a cache layer (l1, l2)' });
    this.misses = meter.createCounter('cache.misses', { description: 'Keys not found in a cache layer (l1, l2)' });
    this.errors = meter.createCounter('cache.errors', { description: 'Failed Redis calls (l2) and loader calls' });
    this.duration = meter.createHistogram('cache.duration', {
      description: 'Duration of one L1 lookup, one Redis call or one loader call',
      unit: 's',
      // From an L1 lookup (microseconds) to a slow loader; the SDK's default buckets start at 5 s.
      advice: {
        explicitBucketBoundaries: [0.00001, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      },
    });
    this.loaded = meter.createCounter('cache.loaded', { description: 'Keys asked of the loader' });
    this.counters = {
      staleServed: meter.createCounter('cache.stale_served', { description: 'Keys served stale, then refreshed' }),
      refreshes: meter.createCounter('cache.refreshes', { description: 'Keys refreshed in the background' }),
      bypassed: meter.createCounter('cache.bypassed', {
        description: 'Keys read from the loader without the cache because Redis failed',
      }),
      discarded: meter.createCounter('cache.discarded', {
        description: 'Loaded values not stored because an invalidation came in between',
      }),
    };
    this.invalidations = meter.createCounter('cache.invalidations', { description: 'Keys invalidated' });
  }

  region(region: string): RegionStats {
    let stats = this.regions.get(region);
    if (!stats) {
      stats = emptyStats();
      this.regions.set(region, stats);
    }
    return stats;
  }

  lookup(region: string, layer: 'l1' | 'l2', hits: number, misses: number): void {
    const stats = this.region(region)[layer];
    stats.hits += hits;
    stats.misses += misses;
    const attributes = { 'cache.region': region, 'cache.layer': layer };
    if (hits > 0) this.hits.add(hits, attributes);
    if (misses > 0) this.misses.add(misses, attributes);
  }

  timed(region: string, layer: CacheLayer, startedAt: number, endedAt: number): void {
    const ms = Math.max(0, endedAt - startedAt);
    const latency = this.region(region).latencyMs[layer];
    latency.count++;
    latency.totalMs += ms;
    latency.maxMs = Math.max(latency.maxMs, ms);
    this.duration.record(ms / 1000, { 'cache.region': region, 'cache.layer': layer });
  }

  redisError(region: string): void {
    this.region(region).l2.errors++;
    this.errors.add(1, { 'cache.region': region, 'cache.layer': 'l2' });
  }

  load(region: string, keys: number, failed: boolean): void {
    const stats = this.region(region).loader;
    stats.calls++;
    stats.keys += keys;
    this.loaded.add(keys, { 'cache.region': region });
    if (failed) {
      stats.errors++;
      this.errors.add(1, { 'cache.region': region, 'cache.layer': 'loader' });
    }
  }

  count(region: string, what: Counted, keys: number): void {
    if (keys <= 0) return;
    this.region(region)[what] += keys;
    this.counters[what].add(keys, { 'cache.region': region });
  }

  invalidated(region: string, direction: 'sent' | 'received', keys: number): void {
    this.region(region).invalidations[direction] += keys;
    this.invalidations.add(keys, { 'cache.region': region, 'cache.direction': direction });
  }

  /** A deep copy, safe to keep and compare. */
  snapshot(): Record<string, RegionStats> {
    return structuredClone(Object.fromEntries(this.regions));
  }
}
