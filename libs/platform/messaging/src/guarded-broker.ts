import { type Breaker, BreakerOpen } from '@platform/resilience';
import {
  type BrokerMessage,
  BrokerUnavailable,
  type ConsumerOptions,
  MessageBroker,
  type RunningConsumer,
} from './broker';

/**
 * A broker whose publishing goes through a circuit breaker. Only unavailability counts against
 * the breaker (a rejected message says nothing about the broker); once it is open, publishing
 * fails at once with BrokerUnavailable, so relays wait without each timing out against a broker
 * that is down, and the outbox backlog simply grows until it closes again.
 */
export class GuardedBroker extends MessageBroker {
  readonly name: string;

  constructor(
    /** The adapter behind the breaker. */
    readonly inner: MessageBroker,
    private readonly breaker: Breaker,
  ) {
    super();
    this.name = inner.name;
  }

  /** For the breaker's errorFilter: errors that must not open it. */
  static isNotUnavailability(error: unknown): boolean {
    return !(error instanceof BrokerUnavailable);
  }

  ensureTopics(topics: readonly string[]): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  async publish(messages: readonly BrokerMessage[]): Promise<void> {
    try {
      await this.breaker.execute(() => this.inner.publish(messages));
    } catch (error) {
      throw error instanceof BreakerOpen
        ? new BrokerUnavailable(`circuit breaker '${error.breaker}' is open`, { cause: error })
        : error;
    }
  }

  consume(options: ConsumerOptions): Promise<RunningConsumer> {
    return this.inner.consume(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
