import { LRUCache } from 'lru-cache';
import { DependencyUnavailable } from '@platform/resilience';
import type { CacheMetrics } from './cache-metrics';
import { type CachedValue, decode, encode } from './cached-value';
import { InvalidationLog } from './invalidation-log';
import type { L2Row, RedisL2 } from './redis-l2';

/** A region's settings, resolved (see Caches.region). */
export interface ResolvedRegionOptions {
  l1TtlMs: number;
  l2TtlMs: number;
  staleAfterMs: number;
}

/** Loads the keys the cache does not have: a Map of those found (absent keys are "not found"). */
export type LoadMissing<V> = (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>;

/** The identity of a region, as the engine needs it. */
export interface RegionRef {
  readonly name: string;
  readonly options: ResolvedRegionOptions;
}

/**
 * invalidate() could not reach Redis: L2 may still hold the old values. Retry it (it is idempotent)
 * once Redis is back: a dependency's unavailability, not a fault of the change being announced.
 */
export class CacheInvalidationFailed extends DependencyUnavailable {
  constructor(
    readonly region: string,
    readonly keys: readonly string[],
    options: { cause: unknown },
  ) {
    super(
      `Cache region "${region}": invalidating ${keys.length} key(s) in Redis failed (${String(
        (options.cause as Error | undefined)?.message ?? options.cause,
      )}); L1 of this instance was dropped, L2 and the other instances were not told: retry`,
      options,
    );
    this.name = 'CacheInvalidationFailed';
  }
}

type Purpose = 'miss' | 'refresh';

/**
 * The read path and the invalidations, shared by every region of one Caches (one L1, one set of
 * flights, one invalidation log), so that L1's bound holds for the whole process.
 *
 * Read (cache-aside): L1 → L2 → loader, written back to both. Concurrent misses of a key share
 * one flight; an entry older than `staleAfterMs` is served and refreshed by one background
 * flight. Every value stored was read after the key's last invalidation: L2 by the generation
 * compare-and-set, L1 by the invalidation log (see InvalidationLog) and, with Redis, only when L2
 * accepted the value too. When Redis fails (or its breaker is open, or the subscription is down),
 * reads go to the loader and nothing is stored: without pub/sub an L1 entry could go stale
 * unseen, and without Redis there is no L2.
 */
export class CacheEngine {
  private readonly l1: LRUCache<string, CachedValue>;
  private readonly log: InvalidationLog;
  /** In-flight loads by L1 key: a reader that misses joins the flight instead of loading again. */
  private readonly flights = new Map<string, Promise<CachedValue | undefined>>();
  private clears = 0;

  constructor(
    private readonly l2: RedisL2 | null,
    private readonly metrics: CacheMetrics,
    private readonly clock: () => number,
    private readonly warn: (message: string) => void,
    readonly maxEntries: number,
  ) {
    // One LRU for every region: CACHE_L1_MAX_ENTRIES bounds the process, however many regions.
    // `perf` is our clock, so that TTLs follow the same (injectable) time as staleness, read on
    // every check (ttlResolution 0: lru-cache would otherwise reuse a reading for up to 1 ms).
    this.l1 = new LRUCache<string, CachedValue>({ max: maxEntries, perf: { now: clock }, ttlResolution: 0 });
    // An invalidation matters to loads in flight only: remembering as many keys as L1 holds is ample.
    this.log = new InvalidationLog(maxEntries);
  }

  get l1Entries(): number {
    return this.l1.size;
  }

  get l1Clears(): number {
    return this.clears;
  }

  /** L1 is consulted and filled only while invalidations can reach it (always, without Redis). */
  private get l1Usable(): boolean {
    return this.l2 === null || this.l2.consistent;
  }

  async read<V>(region: RegionRef, keys: readonly string[], loadMissing: LoadMissing<V>): Promise<Map<string, V>> {
    const unique = [...new Set(keys)];
    const found = new Map<string, CachedValue>();
    let pending = unique;
    if (this.l1Usable) {
      pending = [];
      const stale: string[] = [];
      const startedAt = performance.now();
      for (const key of unique) {
        const entry = this.l1.get(l1Key(region.name, key));
        if (entry === undefined) {
          pending.push(key);
        } else {
          found.set(key, entry);
          if (this.isStale(region, entry)) stale.push(key);
        }
      }
      this.metrics.timed(region.name, 'l1', startedAt, performance.now());
      this.metrics.lookup(region.name, 'l1', found.size, pending.length);
      this.serveStale(region, stale, loadMissing, false);
    }
    if (pending.length > 0) {
      const waits: Array<Promise<void>> = [];
      const toFetch: string[] = [];
      for (const key of pending) {
        const flight = this.flights.get(l1Key(region.name, key));
        if (flight) {
          waits.push(flight.then((entry) => void (entry && found.set(key, entry))));
        } else {
          toFetch.push(key);
        }
      }
      if (toFetch.length > 0) {
        const batch = this.startFlight(region, toFetch, loadMissing, 'miss');
        waits.push(batch.then((entries) => entries.forEach((entry, key) => found.set(key, entry))));
      }
      await Promise.all(waits);
    }
    const result = new Map<string, V>();
    for (const key of unique) {
      const entry = found.get(key);
      if (entry) result.set(key, entry.value as V);
    }
    return result;
  }

  /**
   * Drops the keys here at once, then, with Redis, bumps their generations, deletes them from L2
   * and publishes them (one script); throws CacheInvalidationFailed when Redis could not be told.
   */
  async invalidate(region: RegionRef, keys: readonly string[]): Promise<void> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return;
    this.drop(region.name, unique);
    this.metrics.invalidated(region.name, 'sent', unique.length);
    if (!this.l2) return;
    const l2 = this.l2;
    try {
      await this.redis(region, () => l2.invalidate(region.name, unique));
    } catch (error) {
      throw new CacheInvalidationFailed(region.name, unique, { cause: error });
    }
    // A reader may have copied the old L2 value into L1 between the first drop and the script;
    // its own message will drop it too, this only does it sooner.
    this.drop(region.name, unique);
  }

  /** An invalidation message (from any instance, this one included). */
  received(region: string, keys: readonly string[]): void {
    this.drop(region, keys);
    this.metrics.invalidated(region, 'received', keys.length);
  }

  /**
   * The subscription is (again) in place: messages sent while it was down are lost, so nothing
   * in L1 can be trusted, nor any load in flight (their tokens no longer match).
   */
  resubscribed(): void {
    this.clears++;
    this.l1.clear();
    this.log.reset();
    this.flights.clear();
  }

  /** L1's entry, without touching recency, TTL or metrics (tests, debugging). */
  peek(region: string, key: string): CachedValue | undefined {
    return this.l1.peek(l1Key(region, key));
  }

  private drop(region: string, keys: readonly string[]): void {
    for (const key of keys) {
      const name = l1Key(region, key);
      this.l1.delete(name);
      this.log.mark(name);
      // Later readers start a new flight; those already waiting get what it read.
      this.flights.delete(name);
    }
  }

  private isStale(region: RegionRef, entry: CachedValue): boolean {
    return this.clock() - entry.loadedAt >= region.options.staleAfterMs;
  }

  /**
   * Stale-while-revalidate: the stale entries were served; one background flight per key
   * refreshes them. `replace`: the flight that found them stale is still registered (it read
   * them from L2), and the refresh takes its place for later readers.
   */
  private serveStale<V>(region: RegionRef, keys: string[], loadMissing: LoadMissing<V>, replace: boolean): void {
    if (keys.length === 0) return;
    this.metrics.count(region.name, 'staleServed', keys.length);
    const idle = replace ? keys : keys.filter((key) => !this.flights.has(l1Key(region.name, key)));
    if (idle.length === 0) return;
    this.metrics.count(region.name, 'refreshes', idle.length);
    this.startFlight(region, idle, loadMissing, 'refresh').catch((error: unknown) =>
      this.warn(`Cache region "${region.name}": background refresh of ${idle.length} key(s) failed: ${String(error)}`),
    );
  }

  /** Runs one fetch for `keys` and registers it as the flight of each. */
  private startFlight<V>(
    region: RegionRef,
    keys: string[],
    loadMissing: LoadMissing<V>,
    purpose: Purpose,
  ): Promise<Map<string, CachedValue>> {
    const batch = this.fetch(region, keys, loadMissing, purpose);
    for (const key of keys) {
      const name = l1Key(region.name, key);
      const flight = batch.then((entries) => entries.get(key));
      this.flights.set(name, flight);
      // Only this flight's own entry: an invalidation may have replaced it with a newer one.
      const settle = () => void (this.flights.get(name) === flight && this.flights.delete(name));
      flight.then(settle, settle);
    }
    return batch;
  }

  private async fetch<V>(
    region: RegionRef,
    keys: string[],
    loadMissing: LoadMissing<V>,
    purpose: Purpose,
  ): Promise<Map<string, CachedValue>> {
    // Taken before reading anything: an invalidation after this point makes the store skip L1.
    const tokens = new Map(keys.map((key) => [key, this.log.token(l1Key(region.name, key))]));
    const found = new Map<string, CachedValue>();

    if (!this.l2) {
      for (const [key, { entry }] of await this.load(region, keys, loadMissing)) {
        found.set(key, entry);
        this.storeInL1(region, key, entry, tokens.get(key)!);
      }
      return found;
    }

    const l2 = this.l2;
    let rows: L2Row[];
    try {
      rows = await this.redis(region, () => l2.read(region.name, keys));
    } catch {
      // Redis failed, timed out or its breaker is open: the loader answers, nothing is stored.
      this.metrics.count(region.name, 'bypassed', keys.length);
      return new Map([...(await this.load(region, keys, loadMissing))].map(([key, { entry }]) => [key, entry]));
    }
    const missing: string[] = [];
    const generations = new Map<string, string>();
    const stale: string[] = [];
    keys.forEach((key, i) => {
      const row = rows[i]!;
      const entry = row.payload === null ? undefined : decode(row.payload);
      // A refresh wants a fresh value: a stale L2 entry is as good as none (unless another
      // instance refreshed it already, in which case it is fresh and taken as it is).
      if (entry && !(purpose === 'refresh' && this.isStale(region, entry))) {
        found.set(key, entry);
        this.storeInL1(region, key, entry, tokens.get(key)!);
        if (this.isStale(region, entry)) stale.push(key);
      } else {
        missing.push(key);
        generations.set(key, row.generation);
      }
    });
    this.metrics.lookup(region.name, 'l2', found.size, missing.length);
    this.serveStale(region, stale, loadMissing, true);
    if (missing.length === 0) return found;

    const loaded = await this.load(region, missing, loadMissing);
    const writes = [...loaded].map(([key, { payload }]) => ({ key, payload, generation: generations.get(key)! }));
    let stored: boolean[] | undefined;
    if (writes.length > 0) {
      try {
        stored = await this.redis(region, () => l2.store(region.name, writes, region.options.l2TtlMs));
      } catch {
        stored = undefined; // Redis failed after the read: return the values, store them nowhere
      }
    }
    let discarded = 0;
    writes.forEach(({ key }, i) => {
      const { entry } = loaded.get(key)!;
      found.set(key, entry);
      if (stored?.[i]) {
        this.storeInL1(region, key, entry, tokens.get(key)!);
      } else if (stored) {
        discarded++; // its generation changed while loading: an invalidation came in between
      }
    });
    this.metrics.count(region.name, 'discarded', discarded);
    return found;
  }

  private storeInL1(region: RegionRef, key: string, entry: CachedValue, token: number): void {
    if (!this.l1Usable) return;
    const name = l1Key(region.name, key);
    if (!this.log.unchanged(name, token)) {
      this.metrics.count(region.name, 'discarded', 1);
      return;
    }
    this.l1.set(name, entry, { ttl: region.options.l1TtlMs });
  }

  /** The loader, timed and counted; its values encoded once (JSON round trip, frozen). */
  private async load<V>(
    region: RegionRef,
    keys: string[],
    loadMissing: LoadMissing<V>,
  ): Promise<Map<string, { entry: CachedValue; payload: string }>> {
    const startedAt = performance.now();
    let result: ReadonlyMap<string, V>;
    try {
      result = await loadMissing(keys);
    } catch (error) {
      this.metrics.timed(region.name, 'loader', startedAt, performance.now());
      this.metrics.load(region.name, keys.length, true);
      throw error;
    }
    this.metrics.timed(region.name, 'loader', startedAt, performance.now());
    this.metrics.load(region.name, keys.length, false);
    if (!(result instanceof Map)) {
      throw new TypeError(`Cache region "${region.name}": the loader must resolve to a Map of the keys it found`);
    }
    const loadedAt = this.clock();
    const loaded = new Map<string, { entry: CachedValue; payload: string }>();
    for (const key of keys) {
      const value = result.get(key);
      // undefined is "not found": never cached, so a key created later is seen without an invalidation.
      if (value !== undefined)
        loaded.set(
          key,
          encode(value, loadedAt, () => `Cache region "${region.name}", key "${key}"`),
        );
    }
    return loaded;
  }

  /** One Redis call, timed; a failure (breaker open included) is counted and rethrown. */
  private async redis<T>(region: RegionRef, call: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    try {
      return await call();
    } catch (error) {
      this.metrics.redisError(region.name);
      throw error;
    } finally {
      this.metrics.timed(region.name, 'l2', startedAt, performance.now());
    }
  }
}

/** Regions cannot contain ':' or NUL (see Caches.region): one LRU holds every region's keys apart. */
function l1Key(region: string, key: string): string {
  return `${region}\u0000${key}`;
}
