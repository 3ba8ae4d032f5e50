import type { CacheEngine, LoadMissing, RegionRef, ResolvedRegionOptions } from './cache-engine';
import type { CacheMetrics, RegionStats } from './cache-metrics';

/**
 * One kind of cached value (a product by sku, an order by id), declared once by the module that
 * owns the data: `caches.region<ProductView>('catalog.products')`. Values must survive a JSON
 * round trip, and come back as that round trip gives them (a Date as its ISO string), deep-frozen.
 * Keys are strings, unique within the region.
 */
export class CacheRegion<V> implements RegionRef {
  constructor(
    readonly name: string,
    readonly options: ResolvedRegionOptions,
    private readonly engine: CacheEngine,
    private readonly metrics: CacheMetrics,
  ) {}

  /**
   * The value of `key`: from L1, L2, or `load` (whose result is then cached). `load` resolving to
   * undefined means "not found": returned as undefined and not cached. Concurrent calls for one
   * key in this process share one load.
   */
  async get(key: string, load: (key: string) => Promise<V | undefined>): Promise<V | undefined> {
    const found = await this.engine.read<V>(this, [key], async () => {
      const value = await load(key);
      return value === undefined ? new Map<string, V>() : new Map([[key, value]]);
    });
    return found.get(key);
  }

  /**
   * The values of `keys` that exist, as a Map in the order of `keys`: found in L1, then in L2 (one
   * MGET), and the rest from ONE call of `loadMissing(missingKeys)`, which resolves to a Map of
   * those it found (a key it leaves out is "not found", not cached). Keys another call is already
   * loading are waited for, not loaded again.
   */
  getMany(keys: readonly string[], loadMissing: LoadMissing<V>): Promise<Map<string, V>> {
    return this.engine.read(this, keys, loadMissing);
  }

  /**
   * Forgets `keys` everywhere: in this instance at once, in L2 and (through pub/sub) in every
   * other instance's L1. Call it after the change committed, from the consumer of the module's
   * own event; it is idempotent, so a redelivered event is harmless. Rejects with
   * CacheInvalidationFailed when Redis could not be told: let the consumer retry.
   */
  invalidate(keys: string | readonly string[]): Promise<void> {
    return this.engine.invalidate(this, typeof keys === 'string' ? [keys] : keys);
  }

  /** What L1 holds for `key`, without touching recency or metrics: for tests and debugging. */
  peek(key: string): V | undefined {
    return this.engine.peek(this.name, key)?.value as V | undefined;
  }

  /** This region's counters (a copy). */
  stats(): RegionStats {
    return structuredClone(this.metrics.region(this.name));
  }
}
