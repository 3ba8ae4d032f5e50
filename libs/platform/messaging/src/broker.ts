/**
 * The broker could not be reached or did not answer (connection refused, timeouts, no leader).
 * Unlike a rejected message, this says nothing about the message: callers wait and try again
 * without holding it against the message (the outbox relay does not count it as an attempt).
 */
export class BrokerUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerUnavailable';
  }
}

/** A message as brokers carry it: a topic, a key that decides its partition, a body and headers. */
export interface BrokerMessage {
  topic: string;
  /** Messages with the same key keep their order: they go to one partition. */
  key: string;
  value: string;
  headers: Readonly<Record<string, string>>;
}

export interface DeliveredMessage extends BrokerMessage {
  partition: number;
  offset: string;
  /** 1 on the first delivery to this consumer group, then 2, 3… while the handler keeps failing. */
  deliveryAttempt: number;
}

/** Resolves when the message is handled; a rejection makes the broker deliver it again, later. */
export type MessageHandler = (message: DeliveredMessage) => Promise<void>;

export interface ConsumerOptions {
  /** Consumers sharing a group share the work: each message goes to one of them. */
  group: string;
  topics: readonly string[];
  handler: MessageHandler;
}

export interface RunningConsumer {
  /** Stops taking messages and waits for the one being handled. */
  stop(): Promise<void>;
}

/**
 * The messaging port. Two adapters honour the same contract (test/contracts/broker.contract.ts):
 * Kafka for deployments, an in-process broker for the embedded mode and tests.
 *
 * - at-least-once: a message accepted by `publish` is delivered to every group at least once;
 * - per-key order: within a topic, a group sees one key's messages in publishing order, and
 *   does not move past a message until its handler succeeds (a failure is retried, with backoff);
 * - headers travel unchanged (they carry the CloudEvents attributes and the trace context).
 */
export abstract class MessageBroker {
  abstract readonly name: string;

  /** Creates the topics that do not exist yet. */
  abstract ensureTopics(topics: readonly string[]): Promise<void>;

  /**
   * Resolves once the broker has durably accepted every message, in order per key. A rejection
   * says nothing about which were accepted: callers publish them again (consumers are idempotent).
   * It is a BrokerUnavailable when the broker, not the messages, is the problem.
   */
  abstract publish(messages: readonly BrokerMessage[]): Promise<void>;

  abstract consume(options: ConsumerOptions): Promise<RunningConsumer>;

  abstract close(): Promise<void>;
}
