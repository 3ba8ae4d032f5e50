import { randomBytes } from 'node:crypto';
import type { Attributes, Meter } from '@opentelemetry/api';
import { CircuitBreakers } from '@platform/resilience';
import { Redis } from 'ioredis';
import { CacheInvalidationFailed } from './cache-engine';
import { Caches, type CachesOptions } from './caches';

/** The shared Redis of the development machine (never reconfigured here: keys under a random namespace). */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const DEFAULTS = { redisUrl: null, l1MaxEntries: 1_000, l1TtlMs: 5_000, l2TtlMs: 300_000, redisTimeoutMs: 500 };

/** A clock the test moves by hand: TTLs and staleness follow it, nothing else waits on it. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** A promise and its resolve, to hold a loader until the test lets it finish. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** An OpenTelemetry meter that records what the cache reports to it, as an SDK's reader would see it. */
function recordingMeter() {
  const records: Array<{ name: string; value: number; attributes: Attributes }> = [];
  const instrument = (name: string) => {
    const record = (value: number, attributes: Attributes = {}) => void records.push({ name, value, attributes });
    return { add: record, record };
  };
  const meter = { createCounter: instrument, createHistogram: instrument } as unknown as Meter;
  const sum = (name: string, attributes: Attributes) =>
    records
      .filter((r) => r.name === name && Object.entries(attributes).every(([key, value]) => r.attributes[key] === value))
      .reduce((total, r) => total + r.value, 0);
  return { meter, records, sum };
}

describe('Caches, L1 only (no REDIS_URL)', () => {
  let clock: ReturnType<typeof manualClock>;
  let caches: Caches;
  const create = (options: Partial<CachesOptions> = {}) => new Caches({ ...DEFAULTS, clock: clock.now, ...options });

  beforeEach(() => {
    clock = manualClock();
    caches = create();
  });

  it('single flight: 100 concurrent gets of one missing key make one load, and all get its value', async () => {
    const region = caches.region<{ sku: string }>('products');
    const release = deferred<void>();
    const load = jest.fn(async (key: string) => {
      await release.promise;
      return { sku: key };
    });

    const reads = Array.from({ length: 100 }, () => region.get('TEA', load));
    release.resolve();
    const values = await Promise.all(reads);

    expect(load).toHaveBeenCalledTimes(1);
    expect(values.every((value) => value?.sku === 'TEA')).toBe(true);
    await region.get('TEA', load);
    expect(load).toHaveBeenCalledTimes(1); // now from L1
    expect(region.stats()).toMatchObject({ l1: { hits: 1, misses: 100 }, loader: { calls: 1, keys: 1 } });
  });

  it('single flight across batches: getMany loads only the keys nobody is loading, in one call', async () => {
    const region = caches.region<number>('prices');
    const release = deferred<void>();
    const calls: string[][] = [];
    const loadMissing = async (keys: readonly string[]) => {
      calls.push([...keys]);
      await release.promise;
      return new Map(keys.filter((key) => key !== 'GONE').map((key) => [key, key.length]));
    };

    const first = region.getMany(['A', 'BB'], loadMissing);
    const second = region.getMany(['BB', 'CCC', 'GONE', 'CCC'], loadMissing);
    release.resolve();

    expect(await first).toEqual(
      new Map([
        ['A', 1],
        ['BB', 2],
      ]),
    );
    expect([...(await second)]).toEqual([
      ['BB', 2],
      ['CCC', 3],
    ]); // in the order asked; GONE is not found
    expect(calls).toEqual([
      ['A', 'BB'],
      ['CCC', 'GONE'],
    ]);
    // Found keys are cached, a key not found is not: it is asked again.
    await region.getMany(['A', 'BB', 'CCC', 'GONE'], loadMissing);
    expect(calls).toEqual([['A', 'BB'], ['CCC', 'GONE'], ['GONE']]);
  });

  it('stale-while-revalidate: an entry past staleAfterMs is served, and refreshed once in the background', async () => {
    const region = caches.region<string>('stale', { l1TtlMs: 10_000, staleAfterMs: 1_000 });
    let source = 'v1';
    const refresh = deferred<void>();
    const load = jest.fn(async () => {
      if (load.mock.calls.length > 1) await refresh.promise; // the background refresh waits for the test
      return source;
    });
    await region.get('k', load);

    clock.advance(1_500); // stale, not expired
    source = 'v2';
    const served = await Promise.all(Array.from({ length: 10 }, () => region.get('k', load)));

    expect(served).toEqual(Array(10).fill('v1')); // nobody waited for the load
    expect(load).toHaveBeenCalledTimes(2); // the first load, and ONE refresh for the ten readers
    refresh.resolve();
    await settle();
    expect(await region.get('k', load)).toBe('v2');
    expect(load).toHaveBeenCalledTimes(2);
    expect(region.stats()).toMatchObject({ staleServed: 10, refreshes: 1 });
  });

  it('a refresh that fails keeps serving the stale value until it expires, then loads again', async () => {
    const warnings: string[] = [];
    caches = create({ logger: { log: () => undefined, warn: (message) => warnings.push(message) } });
    const region = caches.region<string>('failing', { l1TtlMs: 10_000, staleAfterMs: 1_000 });
    const load = jest
      .fn()
      .mockResolvedValueOnce('v1')
      .mockRejectedValueOnce(new Error('db down'))
      .mockResolvedValue('v2');
    await region.get('k', load);
    clock.advance(1_500);
    expect(await region.get('k', load)).toBe('v1');
    await settle();
    expect(warnings).toEqual([expect.stringContaining('background refresh of 1 key(s) failed: Error: db down')]);
    expect(await region.get('k', load)).toBe('v1'); // stale again: a new refresh, which succeeds
    await settle();
    expect(await region.get('k', load)).toBe('v2');
  });

  it('L1 expires after its TTL: the bound when an invalidation never arrives', async () => {
    const region = caches.region<string>('ttl', { l1TtlMs: 5_000, staleAfterMs: 60_000 });
    const load = jest.fn().mockResolvedValueOnce('v1').mockResolvedValueOnce('v2');
    await region.get('k', load);
    clock.advance(5_000); // served up to its TTL, never past it
    expect(await region.get('k', load)).toBe('v1');
    clock.advance(1);
    expect(await region.get('k', load)).toBe('v2');
  });

  it('L1 is bounded: inserting beyond its size evicts the least recently used, and the size stays put', async () => {
    caches = create({ l1MaxEntries: 100 });
    const region = caches.region<string>('bounded');
    const load = async (keys: readonly string[]) => new Map(keys.map((key) => [key, `value of ${key}`]));
    await region.get('key-0', async (key) => `value of ${key}`);
    for (let batch = 0; batch < 10; batch++) {
      const keys = Array.from({ length: 1_000 }, (_, i) => `key-${batch * 1_000 + i + 1}`);
      await region.getMany(keys, load);
      expect(caches.stats().l1.entries).toBe(100); // after 1 000, 2 000, ... 10 000 keys: still 100
    }
    expect(region.peek('key-0')).toBeUndefined(); // the oldest went first
    expect(region.peek('key-10000')).toBe('value of key-10000');
    // Regions share the one bound: it is the process's memory limit, not a per-region one.
    await caches.region<string>('other').getMany(['x', 'y'], load);
    expect(caches.stats().l1).toMatchObject({ entries: 100, maxEntries: 100 });
  });

  it('generation check: a load that straddles an invalidation is returned to its caller, but not cached', async () => {
    const region = caches.region<string>('race');
    let source = 'old';
    const release = deferred<void>();
    const load = jest.fn(async () => {
      const read = source; // what the database said when the load read it
      await release.promise;
      return read;
    });

    const reader = region.get('k', load);
    await settle();
    source = 'new'; // the writer commits...
    await region.invalidate('k'); // ...and its event invalidates, while the reader still holds the old value
    release.resolve();

    expect(await reader).toBe('old'); // the reader began before the change: it may see the old value
    expect(region.peek('k')).toBeUndefined(); // but nothing stale was cached
    expect(region.stats().discarded).toBe(1);
    expect(await region.get('k', async () => source)).toBe('new');
  });

  it('an invalidation also ends the single flight: readers after it do not join the old load', async () => {
    const region = caches.region<string>('flight');
    const first = deferred<string>();
    const slowOld = jest.fn(() => first.promise);
    const early = region.get('k', slowOld);
    await region.invalidate(['k']);
    const late = await region.get('k', async () => 'new');
    first.resolve('old');
    expect(await early).toBe('old');
    expect(late).toBe('new');
    expect(region.peek('k')).toBe('new');
  });

  it('invalidation without Redis is local: another instance keeps its L1 until the TTL', async () => {
    const other = create();
    const here = caches.region<string>('local');
    const there = other.region<string>('local');
    await here.get('k', async () => 'v1');
    await there.get('k', async () => 'v1');
    await here.invalidate('k');
    expect(here.peek('k')).toBeUndefined();
    expect(there.peek('k')).toBe('v1');
    expect(caches.stats().redis).toBe('not configured');
    expect(caches.health()).toEqual({ redis: 'not configured', l1Entries: 0 });
  });

  it('returns values as their JSON round trip, deep-frozen, the same in every layer', async () => {
    const region = caches.region<{ at: unknown; lines: Array<{ n: number }> }>('json');
    const value = await region.get('k', async () => ({ at: new Date(0), lines: [{ n: 1 }] }));
    expect(value).toEqual({ at: '1970-01-01T00:00:00.000Z', lines: [{ n: 1 }] });
    expect(Object.isFrozen(value) && Object.isFrozen(value!.lines[0])).toBe(true);
    expect(() => (value!.lines[0]!.n = 2)).toThrow(TypeError);
    await expect(region.get('bad', async () => ({ n: 1n }) as never)).rejects.toThrow(/BigInt/);
    await expect(region.get('fn', async () => (() => 1) as never)).rejects.toThrow(/not JSON-serialisable/);
  });

  it('a failed load is not cached and reaches every caller waiting for it', async () => {
    const region = caches.region<string>('errors');
    const load = jest.fn().mockRejectedValueOnce(new Error('db down')).mockResolvedValue('v');
    const reads = [region.get('k', load), region.get('k', load)];
    await expect(Promise.all(reads)).rejects.toThrow('db down');
    await expect(reads[1]).rejects.toThrow('db down');
    expect(await region.get('k', load)).toBe('v');
    expect(region.stats().loader).toEqual({ calls: 2, keys: 2, errors: 1 });
  });

  it('reports hits, misses and latency per layer, in stats() and as OpenTelemetry instruments', async () => {
    const { meter, records, sum } = recordingMeter();
    const measured = create({ meter });
    const region = measured.region<string>('products');
    const slowLoad = async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return 'v';
    };
    await region.get('TEA', slowLoad); // L1 miss, loaded
    await region.get('TEA', slowLoad); // L1 hit
    await region.getMany(['TEA', 'COFFEE'], async () => new Map()); // one hit, one miss, COFFEE not found

    const stats = region.stats();
    expect(stats).toMatchObject({ l1: { hits: 2, misses: 2 }, loader: { calls: 2, keys: 2, errors: 0 } });
    expect(stats.latencyMs.l1.count).toBe(3); // one lookup per read, however many keys
    expect(stats.latencyMs.loader.count).toBe(2);
    expect(stats.latencyMs.loader.maxMs).toBeGreaterThanOrEqual(25); // the 30 ms load, measured
    expect(stats.latencyMs.loader.totalMs).toBeGreaterThanOrEqual(stats.latencyMs.loader.maxMs);

    const products = { 'cache.region': 'products' };
    expect(sum('cache.hits', { ...products, 'cache.layer': 'l1' })).toBe(2);
    expect(sum('cache.misses', { ...products, 'cache.layer': 'l1' })).toBe(2);
    expect(sum('cache.loaded', products)).toBe(2);
    const loaderDurations = records.filter(
      (r) => r.name === 'cache.duration' && r.attributes['cache.layer'] === 'loader',
    );
    expect(loaderDurations).toHaveLength(2);
    expect(Math.max(...loaderDurations.map((r) => r.value))).toBeGreaterThanOrEqual(0.025); // seconds
    expect(records.filter((r) => r.name === 'cache.duration' && r.attributes['cache.layer'] === 'l1')).toHaveLength(3);
  });

  it('declares a region once: the same options return it, other options throw, bad names are refused', () => {
    const region = caches.region('catalog.products', { l1TtlMs: 1_000 });
    expect(caches.region('catalog.products', { l1TtlMs: 1_000 })).toBe(region);
    expect(() => caches.region('catalog.products')).toThrow(
      /already exists with other options \(l1TtlMs, staleAfterMs\)/,
    );
    expect(() => caches.region('a:b')).toThrow(/must match/);
    expect(() => caches.region('x', { staleAfterMs: 0 })).toThrow(/staleAfterMs must be a positive integer/);
    // Without Redis a value lives in L1 only: it goes stale at half of L1's TTL.
    expect(caches.region('defaults').options).toEqual({ l1TtlMs: 5_000, l2TtlMs: 300_000, staleAfterMs: 2_500 });
  });
});

describe('Caches with Redis (the shared server, a namespace of its own)', () => {
  const namespace = `cache-unit-${randomBytes(6).toString('hex')}`;
  let breakers: CircuitBreakers;
  let caches: Caches;
  let raw: Redis;

  beforeAll(() => {
    raw = new Redis(REDIS_URL);
  });
  beforeEach(async () => {
    breakers = new CircuitBreakers({ log: () => undefined, warn: () => undefined });
    caches = new Caches({ ...DEFAULTS, redisUrl: REDIS_URL, breakers, namespace });
    expect(await caches.whenConnected()).toBe(true);
  });
  afterEach(async () => {
    await caches.close();
    breakers.shutdown();
  });
  afterAll(async () => {
    const keys = await raw.keys(`${namespace}:*`);
    if (keys.length > 0) await raw.del(...keys);
    await raw.quit();
  });

  it('generation check: a load that straddles an invalidation is stored neither in L1 nor in L2', async () => {
    const region = caches.region<string>('race');
    const release = deferred<void>();
    const load = jest.fn(async () => {
      await release.promise;
      return 'old';
    });

    const reader = region.get('k', load);
    while (load.mock.calls.length === 0) await settle(); // the reader read L2 (and the generation), then began loading
    await region.invalidate('k');
    release.resolve();

    expect(await reader).toBe('old');
    expect(region.peek('k')).toBeUndefined();
    expect(await raw.get(`${namespace}:race:v:k`)).toBeNull();
    expect(await raw.get(`${namespace}:race:g:k`)).toBe('1');
    expect(region.stats().discarded).toBe(1);
  });

  it('reads through L1, then L2, then the loader, and writes back to both', async () => {
    const region = caches.region<{ n: number }>('layers');
    const load = jest.fn(async () => ({ n: 1 }));
    expect(await region.get('k', load)).toEqual({ n: 1 });
    expect(JSON.parse((await raw.get(`${namespace}:layers:v:k`))!)).toEqual({ t: expect.any(Number), v: { n: 1 } });
    expect(await raw.pttl(`${namespace}:layers:v:k`)).toBeGreaterThan(299_000);
    expect(await region.get('k', load)).toEqual({ n: 1 });

    const other = new Caches({ ...DEFAULTS, redisUrl: REDIS_URL, breakers, namespace });
    try {
      await other.whenConnected();
      expect(await other.region<{ n: number }>('layers').get('k', load)).toEqual({ n: 1 });
      expect(load).toHaveBeenCalledTimes(1);
      expect(other.stats().regions.layers).toMatchObject({ l1: { hits: 0, misses: 1 }, l2: { hits: 1, misses: 0 } });
      expect(region.stats()).toMatchObject({ l1: { hits: 1, misses: 1 }, l2: { hits: 0, misses: 1 } });
      // Two Redis calls timed here (the read, the store), one on the other instance (the read).
      expect(region.stats().latencyMs.l2.count).toBe(2);
      expect(other.stats().regions.layers!.latencyMs.l2.count).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('invalidate() rejects with CacheInvalidationFailed when Redis cannot be told, after dropping L1 here', async () => {
    const region = caches.region<string>('unreachable');
    await region.get('k', async () => 'v1');
    await caches.close(); // Redis out of reach for this instance
    await expect(region.invalidate('k')).rejects.toBeInstanceOf(CacheInvalidationFailed);
    expect(region.peek('k')).toBeUndefined();
    expect(caches.redis).toBe('down');
  });
});
