import { retryDelayMs } from './backoff';

export interface RetryOptions {
  /** Attempts in all, the first included (1 means no retry). */
  attempts: number;
  /** Backoff: the delay after attempt n is random in [0, min(capMs, baseMs * 2^(n-1))). */
  baseMs: number;
  capMs: number;
  /**
   * Whether a failure is worth another attempt: transient ones (a timeout, a connection reset,
   * a 503) are; a 4xx, a declined payment or an open breaker are not, and end the retries.
   */
  isRetryable: (error: unknown) => boolean;
  /** Aborting stops the retries: no further attempt, and a pending backoff ends at once. */
  signal?: AbortSignal;
  /** Told before each backoff: for logs and metrics. */
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Source of the jitter, for tests; Math.random by default. */
  random?: () => number;
}

/**
 * Calls `operation` until it succeeds, it fails with an error that is not retryable, or
 * `attempts` are spent, waiting a full-jitter exponential backoff between attempts. The last
 * error is rethrown as it is, so callers can still tell a TimeoutError from a BreakerOpen.
 *
 * ONLY FOR IDEMPOTENT OPERATIONS: a failed attempt may still have taken effect (the request
 * reached the server, the answer was lost), so the next attempt must not do it twice. A payment
 * capture qualifies only because it carries an idempotency key the provider deduplicates on.
 */
export async function retry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { attempts, baseMs, capMs, isRetryable, signal, onRetry, random } = options;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`attempts must be an integer >= 1, got ${attempts}`);
  }
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const delayMs = retryDelayMs(attempt, baseMs, capMs, random);
      onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, signal);
    }
  }
}

/** setTimeout as a promise that an abort ends early, rejecting with the signal's reason. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
