import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type BatchObservableCallback, metrics } from '@opentelemetry/api';
import CircuitBreaker from 'opossum';
import { TimeoutError } from './timeout';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** How `breaker.state` reports each state. */
const STATE_VALUES: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface BreakerOptions {
  /** Percentage of failed calls in the rolling window above which the breaker opens. */
  errorThresholdPercentage?: number;
  /** Calls the rolling window must hold before the breaker may open at all. */
  volumeThreshold?: number;
  /** Length of the rolling window of statistics, in ms. */
  rollingCountTimeout?: number;
  /** How long the breaker stays open before it lets one trial call through (half-open), in ms. */
  resetTimeout?: number;
  /**
   * Errors that must not count as failures: the dependency answered, the answer was "no" (a
   * declined payment, a 4xx). They still reject the call; the breaker counts them as successes.
   */
  errorFilter?: (error: unknown) => boolean;
  /** The process works without this dependency (degraded): readiness reports it, does not fail. */
  isOptional?: boolean;
}

/**
 * Defaults, and why:
 * - no timeout in the breaker (opossum's own is turned off): the timeout is a separate policy,
 *   applied to each attempt inside the breaker (`withTimeout`, `resilient`), so a TimeoutError
 *   counts as a failure like any other;
 * - errorThresholdPercentage 50: open when most calls fail, not on a few transient errors;
 * - volumeThreshold 5: never open on 1 failure out of 1 call after a quiet period;
 * - rollingCountTimeout 10 s: judge the recent past, forget old errors quickly;
 * - resetTimeout 10 s: long enough for a restarting dependency, short enough to recover fast;
 *   equal to the window, because opossum does not clear the window when the breaker closes:
 *   the failures that opened it have rolled out (give or take a 1 s bucket) by the time it half-opens.
 */
export const BREAKER_DEFAULTS: Readonly<Required<Omit<BreakerOptions, 'errorFilter'>>> = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  rollingCountTimeout: 10_000,
  resetTimeout: 10_000,
  isOptional: false,
};

/** Counts over the rolling window (rollingCountTimeout). */
export interface BreakerStats {
  failures: number;
  successes: number;
  /** Calls refused while open or half-open: the operation was not called. */
  rejects: number;
  /** Failures that were a TimeoutError (they are also counted in failures). */
  timeouts: number;
}

export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  isOptional: boolean;
  stats: BreakerStats;
  /** State changes since the breaker was created: monotonic counters, for metrics. */
  transitions: { opened: number; halfOpened: number; closed: number };
}

export interface BreakerStateChange {
  name: string;
  from: BreakerState;
  to: BreakerState;
  isOptional: boolean;
}

/** What the registry logs with; Nest's Logger fits. */
export interface BreakerLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** The breaker refused the call (open, or half-open with its trial call in flight): nothing was sent. */
/**
 * A call failed because a dependency is down or unreachable (Redis, a provider), not because of what
 * was asked: the same request will do once it is back. Work that can wait (a message) waits for it
 * rather than being given up on.
 */
export class DependencyUnavailable extends Error {}

export class BreakerOpen extends DependencyUnavailable {
  constructor(readonly breaker: string) {
    super(`Circuit breaker "${breaker}" is open: the call was not made`);
    this.name = 'BreakerOpen';
  }
}

/** Whether `error`, or an error it was caused by, says a dependency is unavailable (a BreakerOpen among them). */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof DependencyUnavailable) {
      return true;
    }
  }
  return false;
}

type Thunk = () => Promise<unknown>;
type ResolvedOptions = Readonly<Required<Omit<BreakerOptions, 'errorFilter'>> & Pick<BreakerOptions, 'errorFilter'>>;

/** One dependency's circuit breaker, on opossum. Get it from CircuitBreakers.for(). */
export class Breaker {
  private readonly circuit: CircuitBreaker<[Thunk], unknown>;
  private current: BreakerState = 'closed';
  private readonly transitions = { opened: 0, halfOpened: 0, closed: 0 };

  constructor(
    readonly name: string,
    readonly options: ResolvedOptions,
    onStateChange: (change: BreakerStateChange, breaker: Breaker) => void,
  ) {
    // One opossum breaker whose action runs whatever it is given: each call brings its own
    // operation, and the statistics are per dependency, not per kind of call.
    this.circuit = new CircuitBreaker((operation: Thunk) => operation(), {
      name,
      timeout: false,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      rollingCountTimeout: options.rollingCountTimeout,
      resetTimeout: options.resetTimeout,
      errorFilter: options.errorFilter,
      // Nobody listens to latency percentiles or periodic snapshots: spare the work and timers.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    const change = (to: BreakerState, counter: keyof Breaker['transitions']) => () => {
      const from = this.current;
      this.current = to;
      this.transitions[counter]++;
      onStateChange({ name, from, to, isOptional: options.isOptional }, this);
    };
    this.circuit.on('open', change('open', 'opened'));
    this.circuit.on('halfOpen', change('half-open', 'halfOpened'));
    this.circuit.on('close', change('closed', 'closed'));
  }

  get state(): BreakerState {
    if (this.circuit.opened) return 'open';
    return this.circuit.halfOpen ? 'half-open' : 'closed';
  }

  get isOptional(): boolean {
    return this.options.isOptional;
  }

  /** Runs `operation` through the breaker; rejects with BreakerOpen, without calling it, when open. */
  async execute<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return (await this.circuit.fire(async () => {
        const started = Date.now();
        try {
          return await operation();
        } catch (error) {
          // Our timeout runs inside the breaker, not opossum's: report it the way opossum
          // reports its own (a 'timeout' event, on top of the failure), so stats.timeouts counts.
          if (error instanceof TimeoutError) this.circuit.emit('timeout', error, Date.now() - started);
          throw error;
        }
      })) as T;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === 'EOPENBREAKER') throw new BreakerOpen(this.name);
      throw error;
    }
  }

  snapshot(): BreakerSnapshot {
    const { failures, successes, rejects, timeouts } = this.circuit.stats;
    return {
      name: this.name,
      state: this.state,
      isOptional: this.isOptional,
      stats: { failures, successes, rejects, timeouts },
      transitions: { ...this.transitions },
    };
  }

  /** Stops opossum's timers; later calls reject. */
  shutdown(): void {
    this.circuit.shutdown();
  }
}

/**
 * The process's circuit breakers: one per dependency, by name, created on first use and shared
 * after that, so that every caller of a dependency feeds and obeys the same statistics. Works
 * in Nest (ResilienceModule provides it) and without (`new CircuitBreakers(logger)`).
 */
@Injectable()
export class CircuitBreakers implements OnApplicationShutdown {
  private readonly breakers = new Map<string, Breaker>();
  private readonly listeners = new Set<(change: BreakerStateChange) => void>();

  private readonly stopObserving: () => void;

  constructor(private readonly logger: BreakerLogger = new Logger(CircuitBreakers.name)) {
    this.stopObserving = this.observeStates();
  }

  /**
   * The breaker of dependency `name`, created with `options` (over BREAKER_DEFAULTS) the first
   * time. Later calls get the same breaker and must ask for the same options (functions
   * compared by identity): two callers configuring one dependency differently is a bug, and
   * silently ignoring one of them would hide it.
   */
  for(name: string, options: BreakerOptions = {}): Breaker {
    const resolved: ResolvedOptions = { ...BREAKER_DEFAULTS, errorFilter: undefined, ...definedOnly(options) };
    const existing = this.breakers.get(name);
    if (existing) {
      const differing = (Object.keys(resolved) as Array<keyof ResolvedOptions>).filter(
        (key) => resolved[key] !== existing.options[key],
      );
      if (differing.length > 0) {
        throw new Error(`Circuit breaker "${name}" already exists with other options (${differing.join(', ')})`);
      }
      return existing;
    }
    const breaker = new Breaker(name, resolved, (change, source) => this.changed(change, source));
    this.breakers.set(name, breaker);
    return breaker;
  }

  /** The state of breaker `name`, or undefined when nobody created it (yet). */
  state(name: string): BreakerState | undefined {
    return this.breakers.get(name)?.state;
  }

  /** Every breaker, in creation order: for health and metrics. */
  snapshot(): BreakerSnapshot[] {
    return [...this.breakers.values()].map((breaker) => breaker.snapshot());
  }

  /** Calls `listener` on every state change of every breaker (metrics); returns the unsubscribe. */
  onStateChange(listener: (change: BreakerStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * After the consumers and relays have stopped (they stop before application shutdown): a call
   * still in flight while they drain goes through its breaker, rather than failing on a shut one.
   */
  onApplicationShutdown(): void {
    this.shutdown();
  }

  /** Shuts every breaker down (their timers included) and forgets them. */
  shutdown(): void {
    this.stopObserving();
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }

  /**
   * `breaker.state` per breaker (`breaker.name`, `breaker.optional`): 0 closed, 1 half-open,
   * 2 open, read when metrics are collected; `breaker.transitions` counts the state changes.
   */
  private observeStates(): () => void {
    const meter = metrics.getMeter('@platform/resilience');
    const state = meter.createObservableGauge('breaker.state', {
      description: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
    });
    const transitions = meter.createObservableCounter('breaker.transitions', {
      description: 'Circuit breaker state changes, by the state entered',
    });
    const observe: BatchObservableCallback = (result) => {
      for (const breaker of this.breakers.values()) {
        const attributes = { 'breaker.name': breaker.name, 'breaker.optional': breaker.isOptional };
        result.observe(state, STATE_VALUES[breaker.state], attributes);
        for (const [entered, count] of Object.entries(breaker.snapshot().transitions)) {
          result.observe(transitions, count, { ...attributes, 'breaker.entered': entered });
        }
      }
    };
    meter.addBatchObservableCallback(observe, [state, transitions]);
    return () => meter.removeBatchObservableCallback(observe, [state, transitions]);
  }

  private changed(change: BreakerStateChange, breaker: Breaker): void {
    const { name, to, isOptional } = change;
    if (to === 'open') {
      const { failures, successes } = breaker.snapshot().stats;
      const { rollingCountTimeout, resetTimeout } = breaker.options;
      this.logger.warn(
        `Circuit breaker "${name}" opened${isOptional ? ' (optional dependency)' : ''}: ${failures} failures, ` +
          `${successes} successes in the last ${rollingCountTimeout} ms; calls fail fast for ${resetTimeout} ms`,
      );
    } else if (to === 'half-open') {
      this.logger.log(`Circuit breaker "${name}" half-open: letting one trial call through`);
    } else {
      this.logger.log(`Circuit breaker "${name}" closed: calls go through again`);
    }
    for (const listener of this.listeners) listener(change);
  }
}

/** Drops keys set to undefined, so that `{ volumeThreshold: undefined }` means the default. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
