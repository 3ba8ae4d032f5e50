import { createHash } from 'node:crypto';
import { retryDelayMs } from '@platform/resilience';
import {
  type BrokerMessage,
  BrokerUnavailable,
  type ConsumerOptions,
  type DeliveredMessage,
  MessageBroker,
  type RunningConsumer,
} from './broker';

/** A publish waiting for the groups that were consuming the topic to handle one of its messages. */
interface Acknowledgement {
  offset: number;
  groups: readonly string[];
  settle: (error?: BrokerUnavailable) => void;
}

interface Partition {
  /** The offset of `log[0]`: what every group has handled is dropped from the front. */
  base: number;
  log: BrokerMessage[];
  /** Publishes waiting on this partition, in offset order: settled from the front as groups move on. */
  acknowledgements: Acknowledgement[];
  /** Consumer loops waiting for a message, or for the partition to be given up by another consumer. */
  idle: Set<() => void>;
}

interface GroupState {
  /** Next offset to deliver, per topic and partition: the group's committed position. */
  positions: Map<string, number>;
  /** The consumer of the group that has each partition; like Kafka, one at a time. */
  owners: Map<string, symbol>;
  /** Consumers of the group running now, per topic. */
  running: Map<string, number>;
}

/** Compacting a partition moves what remains of its log: done once this many messages can go. */
const COMPACT_AFTER = 256;

/**
 * A broker inside the process, with the semantics of the Kafka adapter: topics split into
 * partitions by key, consumer groups with committed positions, redelivery of a failed message
 * before anything after it in its partition.
 *
 * Nothing it holds survives the process, so it cannot call a message durably accepted when it is
 * stored: `publish` resolves only once every group consuming the topic at that moment has handled
 * the message. The outbox relay marks an event published after that, so a process that dies with
 * messages in memory loses none: they are still pending in the outbox and are published again. A
 * group whose last consumer stops before handling a message fails the publish (BrokerUnavailable).
 * A topic nobody consumes yet keeps its newest `retainedPerPartition` messages for a group that
 * starts later; what every group of a topic has handled is dropped.
 */
export class InProcessBroker extends MessageBroker {
  readonly name = 'in-process';
  private readonly topics = new Map<string, Partition[]>();
  private readonly groups = new Map<string, GroupState>();
  /** The groups that have consumed each topic: a message is dropped once all of them are past it. */
  private readonly groupsOfTopic = new Map<string, Set<string>>();
  private closed = false;

  constructor(
    private readonly partitionsPerTopic = 4,
    private readonly maxRetryDelayMs = 1_000,
    private readonly retainedPerPartition = 10_000,
  ) {
    super();
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    for (const topic of topics) {
      this.partitionsOf(topic);
    }
  }

  publish(messages: readonly BrokerMessage[]): Promise<void> {
    if (this.closed) {
      return Promise.reject(new BrokerUnavailable('The in-process broker is closed'));
    }
    const handled: Promise<void>[] = [];
    const appended = new Set<Partition>();
    for (const message of messages) {
      const partitions = this.partitionsOf(message.topic);
      const partition = partitions[partitionFor(message.key, partitions.length)]!;
      const offset = partition.base + partition.log.length;
      partition.log.push({ ...message, headers: { ...message.headers } });
      appended.add(partition);
      const consuming = this.groupsConsuming(message.topic);
      if (consuming.length > 0) {
        handled.push(
          new Promise<void>((resolve, reject) => {
            partition.acknowledgements.push({
              offset,
              groups: consuming,
              settle: (error) => (error ? reject(error) : resolve()),
            });
          }),
        );
      } else if (!this.groupsOfTopic.has(message.topic) && partition.log.length > this.retainedPerPartition) {
        this.dropFront(partition, partition.log.length - this.retainedPerPartition);
      }
    }
    appended.forEach(wakeAll);
    return Promise.all(handled).then(() => undefined);
  }

  async consume({ group, topics, handler }: ConsumerOptions): Promise<RunningConsumer> {
    const state = this.groupState(group);
    const me = Symbol(group);
    for (const topic of topics) {
      this.join(group, state, topic);
    }
    let stopping = false;

    const runPartition = async (topic: string, index: number): Promise<void> => {
      const partition = this.partitionsOf(topic)[index]!;
      const positionKey = `${topic}/${index}`;
      let attempt = 1;
      while (!stopping) {
        const owner = state.owners.get(positionKey);
        const offset = state.positions.get(positionKey) ?? partition.base;
        const message = partition.log[offset - partition.base];
        if ((owner !== me && owner !== undefined) || !message) {
          await new Promise<void>((resume) => partition.idle.add(resume));
          continue;
        }
        state.owners.set(positionKey, me);
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
          this.handled(topic, partition);
        } catch {
          await sleep(retryDelayMs(attempt, 10, this.maxRetryDelayMs));
          attempt += 1;
        }
      }
    };

    const loops = topics.flatMap((topic) => this.partitionsOf(topic).map((_, index) => runPartition(topic, index)));
    let stopped: Promise<void> | undefined;
    return {
      stop: () =>
        (stopped ??= (async () => {
          stopping = true;
          topics.forEach((topic) => this.partitionsOf(topic).forEach(wakeAll));
          await Promise.all(loops);
          for (const [partition, owner] of state.owners) {
            if (owner === me) {
              state.owners.delete(partition);
            }
          }
          for (const topic of topics) {
            this.leave(group, state, topic);
            // Another consumer of the group takes over the partitions this one had.
            this.partitionsOf(topic).forEach(wakeAll);
          }
        })()),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const partitions of this.topics.values()) {
      for (const partition of partitions) {
        for (const { settle } of partition.acknowledgements.splice(0)) {
          settle(new BrokerUnavailable('The in-process broker closed before the message was handled'));
        }
      }
    }
  }

  private groupState(group: string): GroupState {
    let state = this.groups.get(group);
    if (!state) {
      state = { positions: new Map(), owners: new Map(), running: new Map() };
      this.groups.set(group, state);
    }
    return state;
  }

  /** A group that is new to the topic starts at the oldest message still held. */
  private join(group: string, state: GroupState, topic: string): void {
    const partitions = this.partitionsOf(topic);
    const known = this.groupsOfTopic.get(topic) ?? new Set<string>();
    if (!known.has(group)) {
      partitions.forEach((partition, index) => state.positions.set(`${topic}/${index}`, partition.base));
      known.add(group);
      this.groupsOfTopic.set(topic, known);
    }
    state.running.set(topic, (state.running.get(topic) ?? 0) + 1);
  }

  /**
   * The group's last consumer of the topic is gone: a publish waiting for it to handle a message
   * fails, and the relay publishes the message again; the group keeps its position for a consumer
   * that comes back.
   */
  private leave(group: string, state: GroupState, topic: string): void {
    const running = (state.running.get(topic) ?? 1) - 1;
    state.running.set(topic, running);
    if (running > 0) {
      return;
    }
    for (const partition of this.partitionsOf(topic)) {
      partition.acknowledgements = partition.acknowledgements.filter((acknowledgement) => {
        if (!acknowledgement.groups.includes(group)) {
          return true;
        }
        acknowledgement.settle(new BrokerUnavailable(`consumer group ${group} stopped before handling the message`));
        return false;
      });
    }
  }

  private groupsConsuming(topic: string): string[] {
    return [...(this.groupsOfTopic.get(topic) ?? [])].filter(
      (group) => (this.groups.get(group)!.running.get(topic) ?? 0) > 0,
    );
  }

  /**
   * A group has moved past a message of the partition: the publishes whose groups have all moved
   * past theirs settle, from the front (positions only grow, so the first one still waiting stops
   * the walk: constant work per message however long the backlog), and what all groups handled goes.
   */
  private handled(topic: string, partition: Partition): void {
    const positionKey = `${topic}/${this.partitionsOf(topic).indexOf(partition)}`;
    const positionOf = (group: string) => this.groups.get(group)!.positions.get(positionKey)!;
    const waiting = partition.acknowledgements;
    while (waiting.length > 0 && waiting[0]!.groups.every((group) => positionOf(group) > waiting[0]!.offset)) {
      waiting.shift()!.settle();
    }
    let oldestNeeded = Infinity;
    for (const known of this.groupsOfTopic.get(topic)!) {
      oldestNeeded = Math.min(oldestNeeded, positionOf(known));
    }
    const handledByAll = oldestNeeded - partition.base;
    if (handledByAll >= COMPACT_AFTER || (handledByAll > 0 && handledByAll === partition.log.length)) {
      this.dropFront(partition, handledByAll);
    }
  }

  private dropFront(partition: Partition, count: number): void {
    partition.log.splice(0, count);
    partition.base += count;
  }

  private partitionsOf(topic: string): Partition[] {
    let partitions = this.topics.get(topic);
    if (!partitions) {
      partitions = Array.from({ length: this.partitionsPerTopic }, () => ({
        base: 0,
        log: [],
        acknowledgements: [],
        idle: new Set<() => void>(),
      }));
      this.topics.set(topic, partitions);
    }
    return partitions;
  }
}

function wakeAll(partition: Partition): void {
  const waiting = [...partition.idle];
  partition.idle.clear();
  waiting.forEach((resume) => resume());
}

function partitionFor(key: string, partitions: number): number {
  return createHash('md5').update(key).digest().readUInt32BE(0) % partitions;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
