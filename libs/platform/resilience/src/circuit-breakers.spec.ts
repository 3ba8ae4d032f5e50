import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  BREAKER_DEFAULTS,
  BreakerOpen,
  type BreakerStateChange,
  CircuitBreakers,
  DependencyUnavailable,
  isDependencyUnavailable,
} from './circuit-breakers';
import { ResilienceModule } from './resilience.module';
import { TimeoutError } from './timeout';

class Declined extends Error {}

const fail = () => Promise.reject(new Error('boom'));
const succeed = () => Promise.resolve('ok');

/** A logger that records, so tests can assert what was logged. */
function recordingLogger() {
  const lines: string[] = [];
  return {
    lines,
    log: (message: string) => lines.push(`log ${message}`),
    warn: (message: string) => lines.push(`warn ${message}`),
  };
}

/** Polls until `condition` holds; fails after `withinMs` (a generous bound, not a timing assertion). */
async function eventually(condition: () => boolean, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('CircuitBreakers', () => {
  let logger: ReturnType<typeof recordingLogger>;
  let breakers: CircuitBreakers;
  let changes: BreakerStateChange[];

  beforeEach(() => {
    logger = recordingLogger();
    breakers = new CircuitBreakers(logger);
    changes = [];
    breakers.onStateChange((change) => changes.push(change));
  });
  afterEach(() => breakers.shutdown());

  it('opens after its threshold, then rejects with BreakerOpen without calling the operation', async () => {
    const breaker = breakers.for('gateway', { volumeThreshold: 5, resetTimeout: 60_000 });
    const operation = jest.fn(fail);

    for (let i = 1; i <= 4; i++) await expect(breaker.execute(operation)).rejects.toThrow('boom');
    expect(breaker.state).toBe('closed'); // 4 calls: below the volume threshold, however many failed
    await expect(breaker.execute(operation)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open'); // the 5th failure: 100% > 50%

    for (let i = 1; i <= 3; i++) await expect(breaker.execute(operation)).rejects.toBeInstanceOf(BreakerOpen);
    expect(operation).toHaveBeenCalledTimes(5);
    expect(breaker.snapshot().stats).toEqual({ failures: 5, successes: 0, rejects: 3, timeouts: 0 });
    expect(changes).toEqual([{ name: 'gateway', from: 'closed', to: 'open', isOptional: false }]);
    expect(logger.lines).toEqual([
      'warn Circuit breaker "gateway" opened: 5 failures, 0 successes in the last 10000 ms; calls fail fast for 60000 ms',
    ]);
  });

  it('opens on the error rate, not on the first failure, when enough calls succeed', async () => {
    const breaker = breakers.for('gateway', { resetTimeout: 60_000 });
    // Alternating: after each failure the rate is at most 50%, which does not pass the threshold.
    for (let i = 0; i < 10; i++) {
      await breaker.execute(succeed);
      await expect(breaker.execute(fail)).rejects.toThrow('boom');
    }
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(fail)).rejects.toThrow('boom'); // 11 failures of 21: 52%
    expect(breaker.state).toBe('open');
  });

  it('half-opens after resetTimeout, lets one trial through, and closes after it succeeds', async () => {
    const breaker = breakers.for('gateway', { volumeThreshold: 1, resetTimeout: 100 });
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');

    await eventually(() => breaker.state === 'half-open');
    let finishTrial!: (value: string) => void;
    const trialOperation = jest.fn(() => new Promise<string>((resolve) => (finishTrial = resolve)));
    const trial = breaker.execute(trialOperation);
    // While the trial is in flight, everyone else is still refused.
    const other = jest.fn(succeed);
    await expect(breaker.execute(other)).rejects.toBeInstanceOf(BreakerOpen);
    expect(other).not.toHaveBeenCalled();

    finishTrial('recovered');
    await expect(trial).resolves.toBe('recovered');
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(succeed)).resolves.toBe('ok');
    expect(changes.map(({ from, to }) => `${from}->${to}`)).toEqual([
      'closed->open',
      'open->half-open',
      'half-open->closed',
    ]);
    expect(logger.lines.slice(1)).toEqual([
      'log Circuit breaker "gateway" half-open: letting one trial call through',
      'log Circuit breaker "gateway" closed: calls go through again',
    ]);
    expect(breaker.snapshot().transitions).toEqual({ opened: 1, halfOpened: 1, closed: 1 });
  });

  it('opens again when the trial call fails', async () => {
    const breaker = breakers.for('gateway', { volumeThreshold: 1, resetTimeout: 100 });
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    await eventually(() => breaker.state === 'half-open');
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot().transitions).toEqual({ opened: 2, halfOpened: 1, closed: 0 });
  });

  it('does not count errors its errorFilter accepts: they still reject, and count as successes', async () => {
    const breaker = breakers.for('gateway', {
      volumeThreshold: 1,
      resetTimeout: 60_000,
      errorFilter: (error) => error instanceof Declined,
    });
    const declined = jest.fn(() => Promise.reject(new Declined('card declined')));
    for (let i = 0; i < 10; i++) await expect(breaker.execute(declined)).rejects.toBeInstanceOf(Declined);
    expect(breaker.state).toBe('closed');
    expect(declined).toHaveBeenCalledTimes(10);
    expect(breaker.snapshot().stats).toEqual({ failures: 0, successes: 10, rejects: 0, timeouts: 0 });

    await expect(breaker.execute(fail)).rejects.toThrow('boom'); // any other error does count
    expect(breaker.snapshot().stats).toMatchObject({ failures: 1, successes: 10 });
    expect(breaker.state).toBe('closed'); // 1 failure in 11 calls
  });

  it('counts a TimeoutError as a failure and as a timeout', async () => {
    const breaker = breakers.for('gateway', { resetTimeout: 60_000 });
    await expect(breaker.execute(() => Promise.reject(new TimeoutError(50)))).rejects.toBeInstanceOf(TimeoutError);
    expect(breaker.snapshot().stats).toEqual({ failures: 1, successes: 0, rejects: 0, timeouts: 1 });
  });

  it('keeps one breaker per name, and refuses other options for an existing name', () => {
    const errorFilter = (error: unknown) => error instanceof Declined;
    const first = breakers.for('gateway', { volumeThreshold: 10, errorFilter });
    expect(breakers.for('gateway', { volumeThreshold: 10, errorFilter })).toBe(first);
    expect(breakers.for('redis')).not.toBe(first);

    expect(() => breakers.for('gateway', { volumeThreshold: 20, errorFilter })).toThrow(
      'Circuit breaker "gateway" already exists with other options (volumeThreshold)',
    );
    // A new function is another filter, even with the same body: create breakers once.
    expect(() => breakers.for('gateway', { volumeThreshold: 10, errorFilter: (e) => e instanceof Declined })).toThrow(
      /\(errorFilter\)/,
    );
    expect(() => breakers.for('gateway')).toThrow(/\(volumeThreshold, errorFilter\)/);
    // Options spelled out as the defaults are the defaults.
    const redis = breakers.for('redis', { ...BREAKER_DEFAULTS, resetTimeout: undefined });
    expect(breakers.for('redis')).toBe(redis);
  });

  it('reports every breaker in snapshot(), and state() by name', async () => {
    breakers.for('gateway', { volumeThreshold: 1, resetTimeout: 60_000 });
    breakers.for('redis', { isOptional: true, volumeThreshold: 1, resetTimeout: 60_000 });
    await expect(
      breakers.for('redis', { isOptional: true, volumeThreshold: 1, resetTimeout: 60_000 }).execute(fail),
    ).rejects.toThrow('boom');

    expect(breakers.state('gateway')).toBe('closed');
    expect(breakers.state('redis')).toBe('open');
    expect(breakers.state('unknown')).toBeUndefined();
    expect(breakers.snapshot()).toEqual([
      {
        name: 'gateway',
        state: 'closed',
        isOptional: false,
        stats: { failures: 0, successes: 0, rejects: 0, timeouts: 0 },
        transitions: { opened: 0, halfOpened: 0, closed: 0 },
      },
      {
        name: 'redis',
        state: 'open',
        isOptional: true,
        stats: { failures: 1, successes: 0, rejects: 0, timeouts: 0 },
        transitions: { opened: 1, halfOpened: 0, closed: 0 },
      },
    ]);
    expect(changes).toEqual([{ name: 'redis', from: 'closed', to: 'open', isOptional: true }]);
    expect(logger.lines[0]).toMatch(/^warn Circuit breaker "redis" opened \(optional dependency\)/);
  });

  it('stops calling listeners once unsubscribed', async () => {
    const seen: string[] = [];
    const unsubscribe = breakers.onStateChange(({ to }) => seen.push(to));
    unsubscribe();
    await expect(breakers.for('gateway', { volumeThreshold: 1 }).execute(fail)).rejects.toThrow('boom');
    expect(seen).toEqual([]);
  });
});

describe('ResilienceModule', () => {
  it('provides one global CircuitBreakers, shut down with the application', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ResilienceModule] }).compile();
    const breakers = moduleRef.get(CircuitBreakers);
    expect(breakers).toBeInstanceOf(CircuitBreakers);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const breaker = breakers.for('gateway', { volumeThreshold: 1 });
      await expect(breaker.execute(fail)).rejects.toThrow('boom');
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('Circuit breaker "gateway" opened'));
    } finally {
      warn.mockRestore();
    }
    await moduleRef.close();
    expect(breakers.snapshot()).toEqual([]);
  });
});

describe('isDependencyUnavailable', () => {
  it('finds a DependencyUnavailable (an open breaker among them) anywhere in the chain of causes, and nothing else', () => {
    expect(isDependencyUnavailable(new BreakerOpen('redis'))).toBe(true);
    expect(
      isDependencyUnavailable(
        new Error('outer', { cause: new Error('middle', { cause: new BreakerOpen('gateway') }) }),
      ),
    ).toBe(true);
    expect(
      isDependencyUnavailable(new Error('invalidation failed', { cause: new DependencyUnavailable('refused') })),
    ).toBe(true);
    expect(isDependencyUnavailable(new Error('stock row missing'))).toBe(false);
    expect(isDependencyUnavailable(new Error('outer', { cause: 'a string' }))).toBe(false);
    expect(isDependencyUnavailable(undefined)).toBe(false);
  });
});
