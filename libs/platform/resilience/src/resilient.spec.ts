import { Bulkhead, BulkheadRejected } from './bulkhead';
import { BreakerOpen, CircuitBreakers } from './circuit-breakers';
import { resilient } from './resilient';
import type { RetryOptions } from './retry';
import { TimeoutError } from './timeout';

class Unavailable extends Error {}
class Declined extends Error {}

const silent = { log: () => undefined, warn: () => undefined };
/** Retries of transient failures (Unavailable, timeouts), without backoff unless a test asks. */
const retryTransient = (overrides: Partial<RetryOptions> = {}): Omit<RetryOptions, 'signal'> => ({
  attempts: 3,
  baseMs: 10,
  capMs: 100,
  random: () => 0,
  isRetryable: (error) => error instanceof Unavailable || error instanceof TimeoutError,
  ...overrides,
});
const unavailable = () => Promise.reject(new Unavailable('503'));

describe('resilient (bulkhead → retry → breaker → timeout)', () => {
  let breakers: CircuitBreakers;
  beforeEach(() => (breakers = new CircuitBreakers(silent)));
  afterEach(() => breakers.shutdown());

  it('passes the result through, and the operation gets a live signal', async () => {
    const call = resilient('gateway.capture', {
      breaker: breakers.for('gateway'),
      bulkhead: new Bulkhead(2, 2),
      retry: retryTransient(),
      timeoutMs: 1_000,
    });
    await expect(call(async (signal) => (signal.aborted ? 'aborted' : 'captured'))).resolves.toBe('captured');
    const noTimeout = resilient('gateway.refund', { breaker: breakers.for('gateway') });
    await expect(call(async (signal) => signal.aborted)).resolves.toBe(false);
    await expect(noTimeout(async (signal) => signal.aborted)).resolves.toBe(false);
  });

  it('the breaker counts every attempt, not every call', async () => {
    const breaker = breakers.for('gateway', { volumeThreshold: 100 });
    const call = resilient('gateway.capture', { breaker, retry: retryTransient({ attempts: 3 }) });
    const operation = jest.fn(unavailable);
    await expect(call(operation)).rejects.toBeInstanceOf(Unavailable);
    expect(operation).toHaveBeenCalledTimes(3);
    expect(breaker.snapshot().stats).toMatchObject({ failures: 3, rejects: 0 });
  });

  it('an open breaker ends the retries at once: the attempt after it opened is not made', async () => {
    const breaker = breakers.for('gateway', { volumeThreshold: 5, resetTimeout: 60_000 });
    const onRetry = jest.fn();
    const call = resilient('gateway.capture', { breaker, retry: retryTransient({ attempts: 10, onRetry }) });
    const operation = jest.fn(unavailable);

    await expect(call(operation)).rejects.toBeInstanceOf(BreakerOpen);
    // Attempts 1-5 reach the dependency; the 5th failure opens the breaker; attempt 6 is
    // refused by it, and BreakerOpen is never retried: 4 attempts of the 10 are not spent.
    expect(operation).toHaveBeenCalledTimes(5);
    expect(onRetry).toHaveBeenCalledTimes(5);
    expect(breaker.snapshot().stats).toMatchObject({ failures: 5, rejects: 1 });
  });

  it('while the breaker is open, a call fails fast with BreakerOpen and never invokes the operation', async () => {
    const breaker = breakers.for('gateway', { volumeThreshold: 1, resetTimeout: 60_000 });
    const onRetry = jest.fn();
    const call = resilient('gateway.capture', {
      breaker,
      bulkhead: new Bulkhead(1, 0),
      retry: retryTransient({ onRetry, baseMs: 60_000, capMs: 60_000, random: () => 0.5 }),
      timeoutMs: 60_000,
    });
    await expect(breaker.execute(unavailable)).rejects.toBeInstanceOf(Unavailable);
    expect(breaker.state).toBe('open');

    const operation = jest.fn(async () => 'captured');
    for (let i = 0; i < 3; i++) await expect(call(operation)).rejects.toBeInstanceOf(BreakerOpen);
    expect(operation).not.toHaveBeenCalled();
    expect(onRetry).not.toHaveBeenCalled(); // no backoff was waited: the 30 s one would time the test out
  });

  it('a hung dependency: each attempt ends at the timeout, the call within timeout × attempts + backoff', async () => {
    const breaker = breakers.for('gateway', { volumeThreshold: 100 });
    const delays: number[] = [];
    const timeoutMs = 100;
    const call = resilient('gateway.capture', {
      breaker,
      retry: retryTransient({
        attempts: 3,
        baseMs: 50,
        capMs: 200,
        random: undefined,
        onRetry: (e) => delays.push(e.delayMs),
      }),
      timeoutMs,
    });
    const signals: AbortSignal[] = [];
    const hang = jest.fn((signal: AbortSignal) => {
      signals.push(signal);
      return new Promise<never>(() => undefined);
    });

    const started = Date.now();
    const error = await call(hang).catch((caught: unknown) => caught);
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ message: 'gateway.capture timed out after 100 ms' });
    expect(hang).toHaveBeenCalledTimes(3);
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true, true]); // each attempt was told to stop
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeLessThan(50); // full jitter: [0, 50) after attempt 1, [0, 100) after attempt 2
    expect(delays[1]).toBeLessThan(100);
    // At most 3 × 100 + 49 + 99 = 448 ms; the margin is for a loaded machine, not for the policy.
    expect(elapsed).toBeLessThan(3 * timeoutMs + delays[0]! + delays[1]! + 2_000);
    expect(breaker.snapshot().stats).toMatchObject({ failures: 3, timeouts: 3 });
  });

  it('an error that is not retryable, and filtered by the breaker, ends the call and keeps the breaker closed', async () => {
    const breaker = breakers.for('gateway', {
      volumeThreshold: 1,
      errorFilter: (error) => error instanceof Declined,
    });
    const call = resilient('gateway.capture', { breaker, retry: retryTransient({ attempts: 5 }) });
    const declined = jest.fn(() => Promise.reject(new Declined('card declined')));
    await expect(call(declined)).rejects.toBeInstanceOf(Declined);
    expect(declined).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('closed');
  });

  it('the bulkhead holds a call slot through its retries and backoffs, and rejects beyond it at once', async () => {
    const breaker = breakers.for('gateway', { volumeThreshold: 100 });
    let secondCall: Promise<unknown> | undefined;
    const second = jest.fn(async () => 'second');
    const call = resilient('gateway.capture', {
      breaker,
      bulkhead: new Bulkhead(1, 0),
      // During the first call's backoff, the second call arrives.
      retry: retryTransient({
        attempts: 2,
        onRetry: () => (secondCall = call(second).catch((error: unknown) => error)),
      }),
    });
    const first = jest.fn().mockRejectedValueOnce(new Unavailable('503')).mockResolvedValueOnce('first');

    await expect(call(first)).resolves.toBe('first');
    expect(await secondCall).toBeInstanceOf(BulkheadRejected);
    expect(second).not.toHaveBeenCalled();
    await expect(call(second)).resolves.toBe('second'); // the slot is free again
  });

  it('refuses settings that would otherwise fail inside the breaker', () => {
    const breaker = breakers.for('gateway');
    expect(() => resilient('x', { breaker, timeoutMs: 0 })).toThrow(RangeError);
    expect(() => resilient('x', { breaker, retry: retryTransient({ attempts: 0 }) })).toThrow(RangeError);
  });
});
