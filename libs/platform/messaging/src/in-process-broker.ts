import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { retryDelayMs } from '@platform/resilience';
import {
  type BrokerMessage,
  BrokerUnavailable,
  type ConsumerOptions,
  type DeliveredMessage,
  MessageBroker,
  type RunningConsumer,
} from './broker';

interface Partition {
  log: BrokerMessage[];
}

interface GroupState {
  /** Next offset to deliver, per topic and partition: the group's committed position. */
  positions: Map<string, number>;
  /** The consumer of the group that has each partition; like Kafka, one at a time. */
  owners: Map<string, symbol>;
}

/**
 * A broker inside the process, with the semantics of the Kafka adapter: topics split into
 * partitions by key, consumer groups with committed positions, redelivery of a failed message
 * before anything after it in its partition. Nothing survives the process: the outbox is the
 * durable record, and the relay publishes again whatever was not marked as published.
 */
export class InProcessBroker extends MessageBroker {
  readonly name = 'in-process';
  private readonly topics = new Map<string, Partition[]>();
  private readonly groups = new Map<string, GroupState>();
  private readonly appended = new EventEmitter().setMaxListeners(0);
  private closed = false;

  constructor(
    private readonly partitionsPerTopic = 4,
    private readonly maxRetryDelayMs = 1_000,
  ) {
    super();
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    for (const topic of topics) {
      this.partitionsOf(topic);
    }
  }

  async publish(messages: readonly BrokerMessage[]): Promise<void> {
    if (this.closed) {
      throw new BrokerUnavailable('The in-process broker is closed');
    }
    for (const message of messages) {
      const partitions = this.partitionsOf(message.topic);
      partitions[partitionFor(message.key, partitions.length)]!.log.push({
        ...message,
        headers: { ...message.headers },
      });
    }
    this.appended.emit('append');
  }

  async consume({ group, topics, handler }: ConsumerOptions): Promise<RunningConsumer> {
    const state = this.groups.get(group) ?? { positions: new Map<string, number>(), owners: new Map<string, symbol>() };
    const me = Symbol(group);
    this.groups.set(group, state);
    let stopping = false;
    const wake = new Set<() => void>();
    const onAppend = () => wake.forEach((resume) => resume());
    this.appended.on('append', onAppend);
    /** Resolves on the next append (or stop, or a partition given up by another consumer). */
    const nextWake = () =>
      new Promise<void>((resume) => {
        const done = () => {
          wake.delete(done);
          resume();
        };
        wake.add(done);
      });

    const runPartition = async (topic: string, index: number): Promise<void> => {
      const partition = this.partitionsOf(topic)[index]!;
      const positionKey = `${topic}/${index}`;
      let attempt = 1;
      while (!stopping) {
        const owner = state.owners.get(positionKey);
        if (owner !== me && owner !== undefined) {
          await nextWake();
          continue;
        }
        state.owners.set(positionKey, me);
        const offset = state.positions.get(positionKey) ?? 0;
        const message = partition.log[offset];
        if (!message) {
          await nextWake();
          continue;
        }
        const delivered: DeliveredMessage = {
          ...message,
          partition: index,
          offset: String(offset),
          deliveryAttempt: attempt,
        };
        try {
          await handler(delivered);
          state.positions.set(positionKey, offset + 1);
          attempt = 1;
        } catch {
          await sleep(retryDelayMs(attempt, 10, this.maxRetryDelayMs));
          attempt += 1;
        }
      }
    };

    const loops = topics.flatMap((topic) => this.partitionsOf(topic).map((_, index) => runPartition(topic, index)));
    return {
      stop: async () => {
        stopping = true;
        this.appended.off('append', onAppend);
        wake.forEach((resume) => resume());
        await Promise.all(loops);
        for (const [partition, owner] of state.owners) {
          if (owner === me) {
            state.owners.delete(partition);
          }
        }
        // Another consumer of the group takes over the partitions this one had.
        this.appended.emit('append');
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private partitionsOf(topic: string): Partition[] {
    let partitions = this.topics.get(topic);
    if (!partitions) {
      partitions = Array.from({ length: this.partitionsPerTopic }, () => ({ log: [] }));
      this.topics.set(topic, partitions);
    }
    return partitions;
  }
}

function partitionFor(key: string, partitions: number): number {
  return createHash('md5').update(key).digest().readUInt32BE(0) % partitions;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
