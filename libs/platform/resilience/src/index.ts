export { retryDelayMs } from './backoff';
export { retry, type RetryOptions } from './retry';
export { withTimeout, TimeoutError } from './timeout';
export { Bulkhead, BulkheadRejected } from './bulkhead';
export {
  CircuitBreakers,
  type Breaker,
  BreakerOpen,
  DependencyUnavailable,
  isDependencyUnavailable,
  BREAKER_DEFAULTS,
  type BreakerOptions,
  type BreakerState,
  type BreakerStats,
  type BreakerSnapshot,
  type BreakerStateChange,
  type BreakerLogger,
} from './circuit-breakers';
export { resilient, type ResilientOptions, type ResilientCall } from './resilient';
export { ResilienceModule } from './resilience.module';
