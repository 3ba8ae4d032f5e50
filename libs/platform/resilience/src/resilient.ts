import type { Bulkhead } from './bulkhead';
import { type Breaker, BreakerOpen } from './circuit-breakers';
import { retry, type RetryOptions } from './retry';
import { assertTimeoutMs, withTimeout } from './timeout';

export interface ResilientOptions {
  /** The dependency's breaker, from CircuitBreakers.for(). */
  breaker: Breaker;
  /** Limits the calls in progress (their retries and backoffs included). */
  bulkhead?: Bulkhead;
  /** Retries of one call; idempotent operations only. BreakerOpen is never retried. */
  retry?: Omit<RetryOptions, 'signal'>;
  /** Time limit of each attempt, in ms. */
  timeoutMs?: number;
}

/** Runs an operation under the policies; the operation gets the signal its timeout aborts. */
export type ResilientCall = <T>(operation: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/**
 * The policies of one kind of call to a dependency, composed in a fixed order, outside in:
 *
 *   bulkhead → retry → breaker → timeout → operation
 *
 * - bulkhead outermost: it bounds whole calls, so a call keeps its slot through its retries and
 *   rejected calls cost nothing else;
 * - retry outside the breaker: each attempt is one outcome for the breaker, and once the breaker
 *   opens (on these attempts or anyone else's) the next attempt fails fast with BreakerOpen,
 *   which ends the retries: retries never hammer a dependency known to be down;
 * - timeout innermost, per attempt: a hung attempt is one failure the breaker counts and the
 *   retry may repeat, and a call lasts at most attempts × timeoutMs + the backoffs.
 *
 * `name` names the policy in its errors (TimeoutError.operation), e.g. 'payment-gateway.capture';
 * several policies may share one breaker.
 */
export function resilient(name: string, options: ResilientOptions): ResilientCall {
  const { breaker, bulkhead, retry: retryOptions, timeoutMs } = options;
  // Checked here, once: thrown inside the breaker, a bad setting would count as a failure.
  if (timeoutMs !== undefined) assertTimeoutMs(timeoutMs);
  if (retryOptions && (!Number.isInteger(retryOptions.attempts) || retryOptions.attempts < 1)) {
    throw new RangeError(`${name}: retry attempts must be an integer >= 1, got ${retryOptions.attempts}`);
  }
  const withRetries: <T>(attempt: () => Promise<T>) => Promise<T> = retryOptions
    ? (attempt) =>
        retry(attempt, {
          ...retryOptions,
          isRetryable: (error) => !(error instanceof BreakerOpen) && retryOptions.isRetryable(error),
        })
    : (attempt) => attempt();

  return <T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const attempt = () =>
      breaker.execute(() =>
        timeoutMs === undefined ? operation(new AbortController().signal) : withTimeout(operation, timeoutMs, name),
      );
    const call = () => withRetries(attempt);
    return bulkhead ? bulkhead.run(call) : call();
  };
}
