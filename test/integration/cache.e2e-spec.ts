import { randomBytes } from 'node:crypto';
import { CacheInvalidationFailed, Caches, type CachesOptions } from '@platform/cache';
import { CircuitBreakers } from '@platform/resilience';
import { Redis } from 'ioredis';
import { startTestApp } from '../support/test-app';
import { deleteNamespace, startOwnRedisServer, TEST_REDIS_URL, uniqueNamespace } from '../support/test-redis';
import { waitFor } from '../support/wait-for';

/**
 * The two-level cache against real Redis: several Caches instances in one test stand for several
 * api instances (each has its own connections, L1 and breakers, exactly as separate processes
 * would). Keys live under a namespace of this run, deleted afterwards; the shared Redis is never
 * stopped: the outage test stops a redis-server of its own.
 */

const quiet = { log: () => undefined, warn: () => undefined };
const SETTINGS = { l1MaxEntries: 10_000, l1TtlMs: 60_000, l2TtlMs: 300_000, redisTimeoutMs: 500 };

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** A clock the test moves by hand: L1 lifetimes and staleness follow it (Redis' TTLs do not). */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** One "instance": its own breakers and Caches (its own pair of Redis connections). */
function instance(options: Partial<CachesOptions> & { redisUrl: string | null }) {
  const breakers = new CircuitBreakers(quiet);
  const caches = new Caches({ ...SETTINGS, breakers, logger: quiet, ...options });
  return {
    breakers,
    caches,
    close: async () => {
      await caches.close();
      breakers.shutdown();
    },
  };
}

describe('cache with Redis: two instances', () => {
  const namespace = uniqueNamespace();
  const regionName = `products-${randomBytes(4).toString('hex')}`;
  let a: ReturnType<typeof instance>;
  let b: ReturnType<typeof instance>;
  let raw: Redis;

  beforeEach(async () => {
    a = instance({ redisUrl: TEST_REDIS_URL, namespace });
    b = instance({ redisUrl: TEST_REDIS_URL, namespace });
    raw = new Redis(TEST_REDIS_URL);
    expect(await a.caches.whenConnected()).toBe(true);
    expect(await b.caches.whenConnected()).toBe(true);
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close(), raw.quit()]);
    await deleteNamespace(namespace);
  });

  it('an invalidation through A drops the key from B’s L1 within milliseconds', async () => {
    let source = 'v1';
    const load = jest.fn(async () => source);
    const onA = a.caches.region<string>(regionName);
    const onB = b.caches.region<string>(regionName);
    expect(await onB.get('TEA', load)).toBe('v1');
    expect(onB.peek('TEA')).toBe('v1');

    source = 'v2';
    const invalidatedAt = Date.now();
    await onA.invalidate('TEA');
    await waitFor(() => onB.peek('TEA') === undefined, 1_000);
    const seenAfterMs = Date.now() - invalidatedAt;

    expect(seenAfterMs).toBeLessThan(1_000); // the stated bound when the message arrives: milliseconds
    expect(await onB.get('TEA', load)).toBe('v2');
    expect(onB.stats().invalidations.received).toBe(1);
    expect(onA.stats().invalidations).toEqual({ sent: 1, received: 1 }); // A hears its own message too
  });

  it('100 concurrent reads of one uncached key: at most one load per instance, the rest from L1 or L2', async () => {
    const loads = { a: 0, b: 0 };
    const loader = (who: 'a' | 'b') => async (key: string) => {
      loads[who]++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return `value of ${key}`;
    };
    const onA = a.caches.region<string>(regionName);
    const onB = b.caches.region<string>(regionName);
    const reads = [
      ...Array.from({ length: 100 }, () => onA.get('HOT', loader('a'))),
      ...Array.from({ length: 100 }, () => onB.get('HOT', loader('b'))),
    ];
    expect(new Set(await Promise.all(reads))).toEqual(new Set(['value of HOT']));
    expect(loads.a).toBe(1);
    expect(loads.b).toBeLessThanOrEqual(1);

    await onB.get('HOT', loader('b'));
    expect(loads.b).toBeLessThanOrEqual(1);
  });

  it('getMany: L2 answers what another instance cached (one MGET), one loader call for the rest', async () => {
    const prices = new Map([
      ['A', 100],
      ['B', 200],
      ['C', 300],
    ]);
    const calls: { a: string[][]; b: string[][] } = { a: [], b: [] };
    const loader = (who: 'a' | 'b') => async (keys: readonly string[]) => {
      calls[who].push([...keys]);
      return new Map(keys.filter((key) => prices.has(key)).map((key) => [key, prices.get(key)!]));
    };
    const onA = a.caches.region<number>(regionName);
    const onB = b.caches.region<number>(regionName);

    expect(await onA.getMany(['A', 'B', 'X'], loader('a'))).toEqual(
      new Map([
        ['A', 100],
        ['B', 200],
      ]),
    );
    expect([...(await onB.getMany(['C', 'B', 'A', 'X'], loader('b')))]).toEqual([
      ['C', 300],
      ['B', 200],
      ['A', 100],
    ]);
    expect(calls).toEqual({ a: [['A', 'B', 'X']], b: [['C', 'X']] });
    expect(onB.stats()).toMatchObject({ l2: { hits: 2, misses: 2 }, loader: { calls: 1, keys: 2 } });
  });

  it('the cache-aside race: a load that straddles an invalidation from another instance stores nothing', async () => {
    let source = 'old';
    const loadStarted = deferred<void>();
    const release = deferred<void>();
    const onA = a.caches.region<string>(regionName);
    const onB = b.caches.region<string>(regionName);

    // B misses, reads L2 (value and generation), and loads the OLD value from the "database"...
    const reader = onB.get('TEA', async () => {
      const read = source;
      loadStarted.resolve();
      await release.promise;
      return read;
    });
    await loadStarted.promise;
    // ...meanwhile the writer commits and A invalidates (generation bumped, L2 value deleted, published)...
    source = 'new';
    await onA.invalidate('TEA');
    await waitFor(() => onB.stats().invalidations.received === 1, 2_000);
    // ...and only then does B's load finish, with the value it read before.
    release.resolve();

    expect(await reader).toBe('old'); // the request that began before the change may see the old value
    expect(await raw.get(`${namespace}:${regionName}:v:TEA`)).toBeNull(); // L2: the compare-and-set refused it
    expect(onB.peek('TEA')).toBeUndefined(); // L1: not stored either
    expect(onB.stats().discarded).toBe(1);
    expect(await onB.get('TEA', async () => source)).toBe('new');
    expect(await onA.get('TEA', async () => 'never called')).toBe('new'); // from L2
  });

  it('the race when the invalidation message is lost: the generation alone keeps the old value out of L1 and L2', async () => {
    const onB = b.caches.region<string>(regionName);
    const loadStarted = deferred<void>();
    const release = deferred<void>();
    const reader = onB.get('TEA', async () => {
      loadStarted.resolve();
      await release.promise;
      return 'old';
    });
    await loadStarted.promise;
    // An invalidation whose pub/sub message never reaches B: the same Redis writes, no PUBLISH.
    await raw.multi().del(`${namespace}:${regionName}:v:TEA`).incr(`${namespace}:${regionName}:g:TEA`).exec();
    release.resolve();

    expect(await reader).toBe('old');
    expect(onB.stats().invalidations.received).toBe(0);
    expect(await raw.get(`${namespace}:${regionName}:v:TEA`)).toBeNull();
    expect(onB.peek('TEA')).toBeUndefined();
  });

  it('stale-while-revalidate through L2: an entry past staleAfterMs is served, refreshed once, and the refresh shared', async () => {
    const clock = manualClock();
    const c = instance({ redisUrl: TEST_REDIS_URL, namespace, clock: clock.now });
    const d = instance({ redisUrl: TEST_REDIS_URL, namespace, clock: clock.now });
    try {
      expect(await c.caches.whenConnected()).toBe(true);
      expect(await d.caches.whenConnected()).toBe(true);
      const onC = c.caches.region<string>(regionName, { staleAfterMs: 10_000 });
      const onD = d.caches.region<string>(regionName, { staleAfterMs: 10_000 });
      let source = 'v1';
      const load = jest.fn(async () => source);
      expect(await onC.get('TEA', load)).toBe('v1'); // in C's L1 and in L2, loaded at t0

      clock.advance(15_000); // past staleAfterMs; within L1's lifetime and L2's
      source = 'v2';
      // D finds the entry in L2, stale: serves it at once and refreshes it in the background...
      expect(await onD.get('TEA', load)).toBe('v1');
      await waitFor(async () => JSON.parse((await raw.get(`${namespace}:${regionName}:v:TEA`)) ?? '{}').v === 'v2');
      expect(load).toHaveBeenCalledTimes(2);
      expect(onD.stats()).toMatchObject({ staleServed: 1, refreshes: 1 });
      await waitFor(() => onD.peek('TEA') === 'v2');
      expect(await onD.get('TEA', load)).toBe('v2');

      // ...and C, whose L1 copy is stale too, serves it once and refreshes from D's fresh L2 entry, loading nothing.
      expect(await onC.get('TEA', load)).toBe('v1');
      await waitFor(() => onC.peek('TEA') === 'v2');
      expect(load).toHaveBeenCalledTimes(2);
      expect(onC.stats()).toMatchObject({ staleServed: 1, refreshes: 1, l2: { hits: 1 } });
    } finally {
      await Promise.all([c.close(), d.close()]);
    }
  });

  it('an invalidation message that never arrives: L1 serves the old value until l1TtlMs, then reads the new one', async () => {
    const clock = manualClock();
    const c = instance({ redisUrl: TEST_REDIS_URL, namespace, clock: clock.now, l1TtlMs: 5_000 });
    try {
      expect(await c.caches.whenConnected()).toBe(true);
      const onC = c.caches.region<string>(regionName);
      let source = 'v1';
      const load = async () => source;
      expect(await onC.get('TEA', load)).toBe('v1');

      source = 'v2';
      // The invalidation's Redis writes happen, its pub/sub message is lost on the way to C.
      await raw.multi().del(`${namespace}:${regionName}:v:TEA`).incr(`${namespace}:${regionName}:g:TEA`).exec();
      clock.advance(4_999);
      expect(await onC.get('TEA', load)).toBe('v1'); // within the bound, nothing told C
      clock.advance(2);
      expect(await onC.get('TEA', load)).toBe('v2'); // past the bound: L1's lifetime, then L2 (gone), then the loader
      expect(onC.stats().invalidations.received).toBe(0);
    } finally {
      await c.close();
    }
  });
});

describe('cache with Redis slow (a redis-server of its own, frozen)', () => {
  it('each Redis call gives up after redisTimeoutMs: the loader answers, the breaker opens; once Redis answers, the cache is used again', async () => {
    const server = await startOwnRedisServer();
    const node = instance({
      redisUrl: server.url,
      redisTimeoutMs: 200,
      breaker: { resetTimeout: 1_000, rollingCountTimeout: 10_000 },
    });
    let frozen = false;
    try {
      expect(await node.caches.whenConnected()).toBe(true);
      const region = node.caches.region<string>(`catalog-${randomBytes(4).toString('hex')}`);
      let source = 'v1';
      const load = jest.fn(async () => source);
      expect(await region.get('cached', load)).toBe('v1'); // in L1 and L2

      server.pause();
      frozen = true;
      // A change commits; its invalidation cannot reach Redis, which accepts commands and never
      // answers: it gives up after redisTimeoutMs, having dropped L1 here (the consumer will retry).
      source = 'v2';
      await expect(region.invalidate('cached')).rejects.toBeInstanceOf(CacheInvalidationFailed);
      // Reads need Redis too: each waits redisTimeoutMs, then the loader answers it, until the
      // breaker opens and reads skip Redis at once.
      for (let i = 0; i < 10; i++) expect(await region.get(`other-${i}`, load)).toBe('v2');
      expect(node.breakers.state('redis')).toBe('open');
      expect(region.stats().l2.errors).toBeGreaterThanOrEqual(3);
      expect(region.stats().bypassed).toBe(10);
      expect(await region.get('cached', load)).toBe('v2');
      expect(node.caches.redis).toBe('down');
      expect(frozen).toBe(true); // all of the above while Redis was still frozen

      server.resume();
      frozen = false;
      // The event's consumer retries the invalidation until Redis takes it, as the inbox does.
      await waitFor(
        () =>
          region.invalidate('cached').then(
            () => true,
            () => false,
          ),
        10_000,
      );
      await waitFor(async () => (await region.get('cached', load)) === 'v2' && node.caches.redis === 'up', 10_000);
      const loadsBefore = load.mock.calls.length;
      expect(await region.get('cached', load)).toBe('v2');
      expect(await region.get('cached', load)).toBe('v2');
      expect(load.mock.calls.length - loadsBefore).toBeLessThanOrEqual(1); // cached again
      expect(region.peek('cached')).toBe('v2');
    } finally {
      if (frozen) server.resume();
      await node.close();
      await server.kill();
    }
  });
});

describe('cache with Redis stopped mid-test (a redis-server of its own)', () => {
  it('reads go to the loader, the breaker opens; after a restart the cache works again, L1 cleared', async () => {
    const server = await startOwnRedisServer();
    // A short breaker, so the test sees it close again: half-open 1 s after opening.
    const node = instance({ redisUrl: server.url, breaker: { resetTimeout: 1_000, rollingCountTimeout: 1_000 } });
    try {
      expect(await node.caches.whenConnected()).toBe(true);
      const region = node.caches.region<string>(`orders-${randomBytes(4).toString('hex')}`);
      let source = 'v1';
      const load = jest.fn(async () => source);
      expect(await region.get('o-1', load)).toBe('v1');
      expect(await region.get('o-1', load)).toBe('v1');
      expect(load).toHaveBeenCalledTimes(1); // the second from L1

      await server.kill();
      await waitFor(() => node.caches.redis === 'down', 5_000);

      // The database changes and nobody can tell this instance: reads must not trust L1 now.
      source = 'v2';
      for (let i = 0; i < 10; i++) expect(await region.get('o-1', load)).toBe('v2');
      expect(load).toHaveBeenCalledTimes(11); // every read went to the loader
      expect(node.breakers.state('redis')).toBe('open');
      expect(region.stats().bypassed).toBe(10);
      expect(region.peek('o-1')).toBe('v1'); // still in L1, unused

      source = 'v3';
      await server.restart();
      await waitFor(() => node.caches.stats().l1.clears === 2, 10_000); // the first subscription, and this one
      expect(region.peek('o-1')).toBeUndefined(); // cleared on reconnect: messages may have been missed

      // The breaker half-opens after its resetTimeout; the first read through it closes it.
      await waitFor(async () => (await region.get('o-1', load)) === 'v3' && node.breakers.state('redis') === 'closed');
      await waitFor(() => node.caches.redis === 'up');
      const loadsBefore = load.mock.calls.length;
      expect(await region.get('o-1', load)).toBe('v3');
      expect(await region.get('o-1', load)).toBe('v3');
      expect(load.mock.calls.length - loadsBefore).toBeLessThanOrEqual(1); // cached again (L2, then L1)
      expect(region.peek('o-1')).toBe('v3');
    } finally {
      await node.close();
      await server.kill();
    }
  });
});

describe('cache without REDIS_URL (embedded mode)', () => {
  it('uses L1 only: no Redis connection, no breaker, invalidations stay in the process', async () => {
    const here = instance({ redisUrl: null });
    const there = instance({ redisUrl: null });
    try {
      const onHere = here.caches.region<string>('products');
      const onThere = there.caches.region<string>('products');
      const load = jest.fn(async () => 'v1');
      await onHere.get('TEA', load);
      await onHere.get('TEA', load);
      await onThere.get('TEA', load);
      expect(load).toHaveBeenCalledTimes(2); // one per instance: nothing shared
      await onHere.invalidate('TEA');
      expect(onHere.peek('TEA')).toBeUndefined();
      expect(onThere.peek('TEA')).toBe('v1'); // until its L1 TTL: the bound without Redis
      expect(here.breakers.snapshot()).toEqual([]);
      expect(here.caches.stats()).toMatchObject({ redis: 'not configured', l1: { entries: 0, clears: 0 } });
      expect(onHere.stats()).toMatchObject({ l1: { hits: 1, misses: 1 }, l2: { hits: 0, misses: 0, errors: 0 } });
    } finally {
      await Promise.all([here.close(), there.close()]);
    }
  });
});

describe('cache in the api: /health/ready', () => {
  it('reports Redis up, and the redis breaker, when REDIS_URL reaches it', async () => {
    const t = await startTestApp({ REDIS_URL: TEST_REDIS_URL });
    try {
      await t.app.get(Caches).whenConnected();
      const ready = await t.http.get('/health/ready').expect(200);
      expect(ready.body.info).toMatchObject({
        cache: { status: 'up', redis: 'up', l1Entries: 0 },
        breakers: { status: 'up', redis: 'closed' },
      });
    } finally {
      await t.close();
    }
  });

  it('stays ready, reporting Redis down, when REDIS_URL points at a closed port', async () => {
    const server = await startOwnRedisServer();
    await server.kill(); // a port nothing listens on
    const t = await startTestApp({ REDIS_URL: server.url });
    try {
      const ready = await t.http.get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', info: { cache: { status: 'up', redis: 'down' } } });
    } finally {
      await t.close();
    }
  });
});
