import {
  type BrokerMessage,
  BrokerUnavailable,
  type ConsumerOptions,
  MessageBroker,
  type RunningConsumer,
} from './broker';

/**
 * A broker that can be switched off, for chaos testing (`npm run chaos`): while it is off,
 * `publish` fails with BrokerUnavailable, as an adapter does when its broker is down, so the
 * relays hold their events in the outboxes and probe with backoff. Consumers keep draining what
 * was already accepted. Only built when MESSAGING_FAULT_INJECTION is set (never in production).
 */
export class FaultInjectingBroker extends MessageBroker {
  readonly name: string;
  private available = true;

  constructor(readonly inner: MessageBroker) {
    super();
    this.name = inner.name;
  }

  /** Switches the broker off, or back on; returns whether it is now available. */
  toggle(): boolean {
    this.available = !this.available;
    return this.available;
  }

  ensureTopics(topics: readonly string[]): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  publish(messages: readonly BrokerMessage[]): Promise<void> {
    return this.available
      ? this.inner.publish(messages)
      : Promise.reject(new BrokerUnavailable('the broker was switched off (fault injection)'));
  }

  consume(options: ConsumerOptions): Promise<RunningConsumer> {
    return this.inner.consume(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
