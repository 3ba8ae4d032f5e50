import {
  type Admin,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSMetadataNotLoaded,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSRequestTimeoutError,
  KafkaJSTimeout,
  type KafkaMessage,
  type Message,
  Partitioners,
  type Producer,
  type SASLOptions,
  logLevel,
} from 'kafkajs';
import { retryDelayMs } from '@platform/resilience';
import {
  type BrokerMessage,
  BrokerUnavailable,
  type ConsumerOptions,
  type DeliveredMessage,
  type MessageHandler,
  MessageBroker,
  type RunningConsumer,
} from './broker';

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface KafkaBrokerOptions {
  brokers: readonly string[];
  clientId: string;
  /** Partitions of the topics ensureTopics creates: how many consumers of one group can share a topic. */
  partitions?: number;
  /** Copies of each partition. 1 on a single-broker cluster (development), 3 in production. */
  replicationFactor?: number;
  /**
   * Replicas that must have a message before the broker acknowledges it (acks=all): 2 of 3 in
   * production, so one broker may fail without losing an acknowledged message or stopping writes.
   * Unset: the broker's default.
   */
  minInSyncReplicas?: number | null;
  /** TLS to the brokers, verified against the system's certificate authorities. */
  tls?: boolean;
  /** SASL authentication: PLAIN (over TLS only) or SCRAM. */
  sasl?: Extract<SASLOptions, { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' }> | null;
  /** kafkajs' own logs (connections, rebalances, crashes). */
  logLevel?: KafkaLogLevel;
  /** A failed message comes back after a random delay in [0, min(retryMaxMs, retryBaseMs * 2^(attempt-1))). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

const LOG_LEVELS: Record<KafkaLogLevel, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * The messaging port on Kafka (kafkajs). Each topic is split into partitions by key; a consumer
 * group handles each partition's messages one at a time, in order, and commits an offset only
 * once its handler has succeeded. A failed message pauses its partition for a backoff and is
 * delivered again, before anything after it; the other partitions keep flowing.
 */
export class KafkaBroker extends MessageBroker {
  readonly name = 'kafka';
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly partitions: number;
  private readonly replicationFactor: number;
  private readonly minInSyncReplicas: number | null;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly connections = new Map<Producer | Admin, Promise<void>>();
  private readonly knownTopics = new Set<string>();
  private readonly consumers = new Set<RunningConsumer>();
  private closing?: Promise<void>;

  constructor(options: KafkaBrokerOptions) {
    super();
    if (options.brokers.length === 0) {
      throw new Error('KafkaBroker needs at least one broker address (KAFKA_BROKERS)');
    }
    this.partitions = positiveInteger('partitions', options.partitions ?? 3);
    this.replicationFactor = positiveInteger('replicationFactor', options.replicationFactor ?? 1);
    this.minInSyncReplicas =
      options.minInSyncReplicas == null ? null : positiveInteger('minInSyncReplicas', options.minInSyncReplicas);
    if (this.minInSyncReplicas !== null && this.minInSyncReplicas > this.replicationFactor) {
      throw new Error(
        `KafkaBroker: minInSyncReplicas (${this.minInSyncReplicas}) exceeds replicationFactor (${this.replicationFactor})`,
      );
    }
    this.retryBaseMs = positiveInteger('retryBaseMs', options.retryBaseMs ?? 100);
    this.retryMaxMs = positiveInteger('retryMaxMs', options.retryMaxMs ?? 30_000);
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: LOG_LEVELS[options.logLevel ?? 'warn'],
      ssl: options.tls ?? false,
      ...(options.sasl ? { sasl: options.sasl } : {}),
    });
    this.producer = this.kafka.producer({
      // The broker drops the duplicates a retried send would write, and with one request in
      // flight a retry cannot overtake the batch after it: one key's messages stay in order.
      idempotent: true,
      maxInFlightRequests: 1,
      // Topics come from ensureTopics, with our partitions and replication, not broker defaults.
      allowAutoTopicCreation: false,
      // Stated rather than defaulted: the murmur2 partitioner of the Java client (and no warning).
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    this.assertOpen();
    const wanted = [...new Set(topics)].filter((topic) => !this.knownTopics.has(topic));
    if (wanted.length === 0) {
      return;
    }
    await this.connect(this.admin);
    // Creating only the missing ones: kafkajs skips waiting for leaders when any topic exists.
    const existing = new Set(await this.admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      // Resolves false (no error) when another process created them since listTopics.
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: this.partitions,
          replicationFactor: this.replicationFactor,
          ...(this.minInSyncReplicas === null
            ? {}
            : { configEntries: [{ name: 'min.insync.replicas', value: String(this.minInSyncReplicas) }] }),
        })),
      });
    }
    wanted.forEach((topic) => this.knownTopics.add(topic));
  }

  async publish(messages: readonly BrokerMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) {
      return;
    }
    // Grouped by topic, each group in the caller's order: sendBatch keeps that order per partition.
    const byTopic = new Map<string, Message[]>();
    for (const { topic, key, value, headers } of messages) {
      const topicMessages = byTopic.get(topic) ?? [];
      topicMessages.push({ key, value, headers: { ...headers } });
      byTopic.set(topic, topicMessages);
    }
    try {
      await this.ensureTopics([...byTopic.keys()]);
      await this.connect(this.producer);
      await this.producer.sendBatch({
        acks: -1, // every in-sync replica has the messages before this resolves
        topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })),
      });
    } catch (error) {
      throw isUnavailability(error)
        ? new BrokerUnavailable(`Kafka is unavailable: ${(error as Error).message}`, { cause: error })
        : error;
    }
  }

  async consume({ group, topics, handler }: ConsumerOptions): Promise<RunningConsumer> {
    this.assertOpen();
    // Auto-creation is off, and kafkajs cannot subscribe to a topic that does not exist.
    await this.ensureTopics(topics);
    const consumer = this.kafka.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      // A resumed partition is fetched when the current long poll returns: keep that short.
      maxWaitTimeInMs: 500,
    });
    const failures = new Map<string, { offset: string; attempt: number }>();
    const resumeTimers = new Set<NodeJS.Timeout>();

    const eachBatch = async ({ batch, resolveOffset, heartbeat, pause, isRunning, isStale }: EachBatchPayload) => {
      const { topic, partition } = batch;
      const slot = `${topic}/${partition}`;
      for (const message of batch.messages) {
        // Stopping, or the batch went stale: the rest stays unresolved and is fetched again.
        if (!isRunning() || isStale()) {
          return;
        }
        const failed = failures.get(slot);
        const deliveryAttempt = failed?.offset === message.offset ? failed.attempt + 1 : 1;
        if (!(await handled(handler, delivered(topic, partition, message, deliveryAttempt)))) {
          failures.set(slot, { offset: message.offset, attempt: deliveryAttempt });
          /*
           * Not kafkajs' crash-and-restart: throwing would stall every partition and restart the
           * consumer. The offset stays unresolved, so the partition's fetch position stays on
           * this message; returning leaves the rest of the batch unhandled, and pausing keeps the
           * partition out of fetches until the backoff has passed. Other partitions go on.
           */
          const resume = pause();
          const timer = setTimeout(
            () => {
              resumeTimers.delete(timer);
              resume();
            },
            retryDelayMs(deliveryAttempt, this.retryBaseMs, this.retryMaxMs),
          );
          resumeTimers.add(timer);
          return;
        }
        failures.delete(slot);
        // Only handled messages are resolved, so only they are ever committed.
        resolveOffset(message.offset);
        // Throws when the group rebalances: kafkajs then commits what was resolved and rejoins.
        await heartbeat();
      }
    };

    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [...topics], fromBeginning: true }); // a new group reads everything
      await consumer.run({
        // Commits the resolved offsets after each batch, on rebalance and on stop.
        autoCommit: true,
        eachBatchAutoResolve: false,
        // Several partitions' batches in parallel, each partition still one message at a time.
        partitionsConsumedConcurrently: this.partitions,
        eachBatch,
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }

    let stopped: Promise<void> | undefined;
    const running: RunningConsumer = {
      stop: () =>
        (stopped ??= (async () => {
          // Waits for the batch in hand, commits what was handled, and leaves the group, so its
          // partitions go to the other consumers now rather than after the session timeout.
          await consumer.disconnect();
          resumeTimers.forEach((timer) => clearTimeout(timer));
          this.consumers.delete(running);
        })()),
    };
    this.consumers.add(running);
    return running;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // A consumer left running would go on handling messages: stop each (it commits what it handled).
      await Promise.allSettled([...this.consumers].map((consumer) => consumer.stop()));
      await Promise.all(
        [...this.connections].map(async ([client, connecting]) => {
          const connected = await connecting.then(
            () => true,
            () => false,
          );
          if (connected) {
            await client.disconnect();
          }
        }),
      );
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) {
      throw new BrokerUnavailable('The Kafka broker is closed');
    }
  }

  /** Connects once; a failed attempt is forgotten so that the next call tries again. */
  private connect(client: Producer | Admin): Promise<void> {
    let connected = this.connections.get(client);
    if (!connected) {
      connected = client.connect();
      this.connections.set(client, connected);
      connected.catch(() => this.connections.delete(client));
    }
    return connected;
  }
}

/**
 * Connection failures, timeouts and retriable broker errors (no leader, coordinator moving)
 * that kafkajs gave up retrying: the cluster is the problem, not the messages.
 */
function isUnavailability(error: unknown): boolean {
  const unavailable = [
    KafkaJSConnectionError,
    KafkaJSRequestTimeoutError,
    KafkaJSBrokerNotFound,
    KafkaJSNumberOfRetriesExceeded,
    KafkaJSTimeout,
    KafkaJSMetadataNotLoaded,
    KafkaJSGroupCoordinatorNotFound,
  ];
  return unavailable.some((type) => error instanceof type) || (error instanceof KafkaJSError && error.retriable);
}

async function handled(handler: MessageHandler, message: DeliveredMessage): Promise<boolean> {
  try {
    await handler(message);
    return true;
  } catch {
    return false;
  }
}

function delivered(topic: string, partition: number, message: KafkaMessage, deliveryAttempt: number): DeliveredMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    deliveryAttempt,
    key: message.key?.toString('utf8') ?? '',
    value: message.value?.toString('utf8') ?? '',
    headers: decodeHeaders(message.headers),
  };
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    // A name repeated in one record arrives as an array; the last one wins, as in the Java client.
    const value = Array.isArray(raw) ? raw.at(-1) : raw;
    if (value !== undefined) {
      decoded[name] = Buffer.isBuffer(value) ? value.toString('utf8') : value;
    }
  }
  return decoded;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`KafkaBroker option ${name} must be a positive integer, not ${value}`);
  }
  return value;
}
