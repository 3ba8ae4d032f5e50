import { retry, type RetryOptions } from './retry';

class Transient extends Error {}
class Permanent extends Error {}

/** Just below 1: every delay is then its ceiling - 1, the longest full jitter allows. */
const highest = () => 1 - Number.EPSILON;

function options(overrides: Partial<RetryOptions> = {}): RetryOptions {
  return { attempts: 3, baseMs: 10, capMs: 1_000, isRetryable: (error) => error instanceof Transient, ...overrides };
}

/** Fails with each error in turn, then succeeds. */
function failingWith(...errors: Error[]) {
  return jest.fn(async () => {
    const error = errors.shift();
    if (error) throw error;
    return 'done';
  });
}

describe('retry', () => {
  it('retries retryable failures until the operation succeeds', async () => {
    const operation = failingWith(new Transient(), new Transient());
    await expect(retry(operation, options({ random: () => 0 }))).resolves.toBe('done');
    expect(operation).toHaveBeenCalledTimes(3);
  });

  it('stops at once on an error that is not retryable, and rethrows it as it is', async () => {
    const permanent = new Permanent('declined');
    const operation = failingWith(new Transient(), permanent);
    const onRetry = jest.fn();
    await expect(retry(operation, options({ attempts: 10, random: () => 0, onRetry }))).rejects.toBe(permanent);
    expect(operation).toHaveBeenCalledTimes(2);
    expect(onRetry).toHaveBeenCalledTimes(1);
  });

  it('stops after `attempts`, rethrowing the last error', async () => {
    const last = new Transient('third');
    const operation = failingWith(new Transient('first'), new Transient('second'), last, new Transient('never'));
    await expect(retry(operation, options({ attempts: 3, random: () => 0 }))).rejects.toBe(last);
    expect(operation).toHaveBeenCalledTimes(3);
  });

  it('makes one attempt when attempts is 1', async () => {
    const operation = failingWith(new Transient());
    await expect(retry(operation, options({ attempts: 1 }))).rejects.toBeInstanceOf(Transient);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('waits a full-jitter exponential backoff between attempts, capped', async () => {
    const operation = failingWith(...Array.from({ length: 5 }, () => new Transient()));
    const delays: number[] = [];
    const started = Date.now();
    await retry(
      operation,
      options({ attempts: 6, baseMs: 10, capMs: 50, random: highest, onRetry: ({ delayMs }) => delays.push(delayMs) }),
    );
    // Ceilings min(50, 10 * 2^(n-1)): 10, 20, 40, 50, 50; the highest random gives ceiling - 1.
    expect(delays).toEqual([9, 19, 39, 49, 49]);
    expect(Date.now() - started).toBeLessThan(165 + 2_000); // the sum, with room for a loaded machine
  });

  it('never waits longer than the backoff ceiling with the default random source', async () => {
    const operation = failingWith(...Array.from({ length: 7 }, () => new Transient()));
    const delays: Array<[number, number]> = [];
    await retry(
      operation,
      options({ attempts: 8, baseMs: 2, capMs: 40, onRetry: (e) => delays.push([e.attempt, e.delayMs]) }),
    );
    expect(delays.map(([attempt]) => attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const [attempt, delayMs] of delays) {
      expect(delayMs).toBeGreaterThanOrEqual(0);
      expect(delayMs).toBeLessThan(Math.min(40, 2 * 2 ** (attempt - 1)));
    }
  });

  it('stops when its signal is aborted: a pending backoff ends at once, no further attempt', async () => {
    const controller = new AbortController();
    const operation = failingWith(new Transient(), new Transient());
    const started = Date.now();
    const result = retry(
      operation,
      options({
        baseMs: 60_000,
        capMs: 60_000,
        random: highest,
        signal: controller.signal,
        onRetry: () => setImmediate(() => controller.abort(new Error('caller gave up'))),
      }),
    );
    await expect(result).rejects.toThrow('caller gave up');
    expect(operation).toHaveBeenCalledTimes(1);
    expect(Date.now() - started).toBeLessThan(5_000); // not the 60 s backoff
  });

  it('makes no attempt with a signal already aborted', async () => {
    const operation = jest.fn(async () => 'done');
    await expect(retry(operation, options({ signal: AbortSignal.abort(new Error('gone')) }))).rejects.toThrow('gone');
    expect(operation).not.toHaveBeenCalled();
  });

  it('refuses attempts below 1', async () => {
    await expect(retry(async () => 1, options({ attempts: 0 }))).rejects.toThrow(RangeError);
    await expect(retry(async () => 1, options({ attempts: 1.5 }))).rejects.toThrow(RangeError);
  });
});
