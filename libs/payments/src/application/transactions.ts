import type { IntegrationEvent } from '@platform/messaging';

/**
 * One business transaction: everything `work` writes through the module's repositories and its
 * outbox commits together, or not at all.
 */
export abstract class UnitOfWork {
  abstract run<T>(work: () => Promise<T>): Promise<T>;
}

/** The module's outbox: events recorded here leave only if the unit of work commits. */
export abstract class EventOutbox {
  abstract record(events: readonly IntegrationEvent[]): Promise<void>;
}
