/**
 * The operation took longer than its time limit. It is also the `reason` of the signal handed to
 * the operation, so `fetch` (and anything else that rejects with `signal.reason`) rejects with
 * this same error.
 */
export class TimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly operation?: string,
  ) {
    super(`${operation ?? 'Operation'} timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Runs `operation` with a time limit. When `ms` passes first, the operation's signal is aborted
 * (so that an HTTP request or a query actually stops, instead of running on unobserved) and the
 * returned promise rejects with a `TimeoutError` at once, whether the operation honours the
 * signal or not: the caller never waits longer than `ms`.
 *
 * Only the caller stops waiting: an operation that ignores the signal still runs to its end in
 * the background, its result dropped. Pass the signal on to whatever does the I/O.
 */
export function withTimeout<T>(operation: (signal: AbortSignal) => Promise<T>, ms: number, name?: string): Promise<T> {
  assertTimeoutMs(ms);
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new TimeoutError(ms, name);
      controller.abort(error);
      reject(error);
    }, ms);
    const settle =
      <V>(done: (value: V) => void) =>
      (value: V) => {
        clearTimeout(timer);
        done(value);
      };
    // Promise.resolve().then(...) turns a synchronous throw of the operation into a rejection.
    Promise.resolve()
      .then(() => operation(controller.signal))
      .then(settle(resolve), settle(reject));
  });
}

/** setTimeout's range: beyond 2^31 - 1 ms it fires at once, which would be no limit at all. */
export function assertTimeoutMs(ms: number): void {
  if (!(ms > 0) || ms > 2_147_483_647) throw new RangeError(`timeout must be in (0, 2^31 - 1] ms, got ${ms}`);
}
