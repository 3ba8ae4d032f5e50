import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  type BrokerMessage,
  type DeliveredMessage,
  type MessageBroker,
  type MessageHandler,
  type RunningConsumer,
  createEvent,
  defineEvent,
  fromBrokerMessage,
  toBrokerMessage,
} from '@platform/messaging';

/*
 * The MessageBroker contract (libs/platform/messaging/src/broker.ts), as tests every adapter must
 * pass. Topic and group names carry a random suffix, so that runs against a shared Kafka never see
 * each other's messages or committed offsets. Every wait is bounded (waitFor), and every case
 * asserts exact outcomes: which messages, how many times, in which order.
 */

/** Generous for a real broker (group joins, topic creation); the in-process broker takes milliseconds. */
const WAIT_MS = 30_000;
const CASE_TIMEOUT_MS = 90_000;

export function describeBrokerContract(name: string, create: () => Promise<MessageBroker>): void {
  describe(`${name} honours the MessageBroker contract`, () => {
    let broker: MessageBroker;
    let suffix: string;
    let consumers: RunningConsumer[];

    const topic = (label: string) => `contract.${label}.${suffix}`;
    const group = (label: string) => `contract-${label}-${suffix}`;
    const consume = async (groupName: string, topics: string[], handler: MessageHandler) => {
      const consumer = await broker.consume({ group: groupName, topics, handler });
      consumers.push(consumer);
      return consumer;
    };

    beforeEach(async () => {
      suffix = randomUUID().slice(0, 8);
      consumers = [];
      broker = await create();
    });

    afterEach(async () => {
      // Stopping twice is harmless; a case that failed half-way must not leave consumers running.
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await broker.close();
    });

    it(
      'creates topics idempotently; a new group gets what was published before, value, key and headers unchanged',
      async () => {
        const orders = topic('orders');
        await broker.ensureTopics([orders]);
        await broker.ensureTopics([orders, orders]);
        await broker.ensureTopics([orders, topic('other')]);
        // Another instance (another process, on Kafka) finds the topics there already.
        const another = await create();
        await another.ensureTopics([orders, topic('other'), topic('third')]);
        await another.close();

        const contract = defineEvent(
          'contract.order-placed.v1',
          z.object({ orderId: z.string(), totalMinor: z.number().int(), note: z.string() }),
        );
        const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
        const event = createEvent(
          contract,
          'order-42',
          { orderId: 'order-42', totalMinor: 1999, note: 'żółw ✓ "quoted"' },
          { source: '/modules/contract', traceparent },
        );
        const message: BrokerMessage = {
          ...toBrokerMessage(event),
          topic: orders,
          headers: { ...toBrokerMessage(event).headers, 'x-unicode': 'żółw ✓' },
        };
        expect(message.headers).toMatchObject({ traceparent, ce_id: event.id, ce_type: contract.type });

        // Published before the group first consumes: a new group starts from the oldest message.
        await broker.publish([message]);
        const delivered: DeliveredMessage[] = [];
        await consume(group('orders'), [orders], async (received) => {
          delivered.push(received);
        });

        await waitFor(() => delivered.length >= 1, 'the message to be delivered');
        expect(delivered).toHaveLength(1);
        const [received] = delivered;
        expect({ topic: received!.topic, key: received!.key, value: received!.value }).toEqual({
          topic: orders,
          key: 'order-42',
          value: message.value,
        });
        expect(received!.headers).toEqual(message.headers);
        expect(received!.deliveryAttempt).toBe(1);
        expect(Number.isInteger(received!.partition)).toBe(true);
        expect(received!.offset).toMatch(/^\d+$/);
        expect(fromBrokerMessage(received!)).toEqual(event);
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'keeps each key in publishing order and delivers every message once (50 keys × 40 messages)',
      async () => {
        const stream = topic('ordered');
        await broker.ensureTopics([stream]);
        const keys = Array.from({ length: 50 }, (_, index) => `aggregate-${index}`);
        const seen = new Map<string, number[]>(keys.map((key) => [key, []]));
        let handled = 0;
        // Consuming while the batches are still being published: the harder case for ordering.
        await consume(group('ordered'), [stream], async ({ key, value }) => {
          seen.get(key)!.push(JSON.parse(value).sequence as number);
          handled += 1;
        });

        for (let sequence = 0; sequence < 40; sequence += 1) {
          // Each batch interleaves every key, in a different order each time.
          const batch = shuffled(keys).map((key) => ({
            topic: stream,
            key,
            value: JSON.stringify({ key, sequence }),
            headers: {},
          }));
          await broker.publish(batch);
        }

        await waitFor(() => handled >= 2_000, 'the 2000 messages to be handled');
        const expected = Array.from({ length: 40 }, (_, sequence) => sequence);
        for (const key of keys) {
          expect({ key, sequences: seen.get(key) }).toEqual({ key, sequences: expected });
        }
        expect(handled).toBe(2_000);
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'delivers every message to each consumer group',
      async () => {
        const stream = topic('fanout');
        await broker.ensureTopics([stream]);
        const messages = numbered(stream, 30, 10);
        const billing: string[] = [];
        const shipping: string[] = [];
        await consume(group('billing'), [stream], async ({ value }) => {
          billing.push(value);
        });
        await consume(group('shipping'), [stream], async ({ value }) => {
          shipping.push(value);
        });

        await broker.publish(messages);

        await waitFor(() => billing.length >= 30 && shipping.length >= 30, 'both groups to receive 30 messages');
        const all = messages.map(({ value }) => value).sort();
        expect([...billing].sort()).toEqual(all);
        expect([...shipping].sort()).toEqual(all);
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'shares the work between two consumers of one group, each message handled once overall',
      async () => {
        const stream = topic('shared');
        await broker.ensureTopics([stream]);
        const messages = numbered(stream, 60, 20);
        const first: string[] = [];
        const second: string[] = [];
        // Both consumers are running before anything is published, so (on Kafka) the group has
        // settled its assignment and no rebalance moves a partition half-way. The in-process
        // broker lets the second consumer wait while the first holds every partition: hence the
        // assertions on the union and on duplicates, not on how the work was split.
        const one = await consume(group('shared'), [stream], async ({ value }) => {
          first.push(value);
        });
        const two = await consume(group('shared'), [stream], async ({ value }) => {
          second.push(value);
        });

        await broker.publish(messages);

        await waitFor(() => new Set([...first, ...second]).size >= 60, 'the group to handle 60 messages');
        // Stopping waits for handlers in flight, so nothing is counted after the assertions.
        await Promise.all([one.stop(), two.stop()]);
        const all = messages.map(({ value }) => value).sort();
        expect([...first, ...second].sort()).toEqual(all);
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'redelivers a failed message before later messages of its key, without holding up other partitions',
      async () => {
        /*
         * "Other partitions" only means something if we know where keys land, and the two
         * adapters hash differently (md5 in process, murmur2 in Kafka). Both hash the key alone,
         * so a probe topic with the same default partition count tells us: the first candidate
         * key is the failing one, the others on a different partition must not wait for it.
         */
        const probe = topic('probe');
        const stream = topic('retry');
        await broker.ensureTopics([probe, stream]);
        const candidates = Array.from({ length: 20 }, (_, index) => `key-${index}`);
        const partitionOf = new Map<string, number>();
        const prober = await consume(group('probe'), [probe], async ({ key, partition }) => {
          partitionOf.set(key, partition);
        });
        await broker.publish(candidates.map((key) => ({ topic: probe, key, value: key, headers: {} })));
        await waitFor(() => partitionOf.size >= candidates.length, 'the probe messages');
        await prober.stop();

        const [failing, ...rest] = candidates;
        const others = rest.filter((key) => partitionOf.get(key) !== partitionOf.get(failing!)).slice(0, 4);
        // 19 keys all hashed to one partition: the adapter has a single partition per topic.
        expect(others.length).toBeGreaterThan(0);

        const messages = [failing!, ...others].flatMap((key) =>
          [0, 1, 2].map((sequence) => ({ topic: stream, key, value: `${key}#${sequence}`, headers: {} })),
        );
        const otherValues = messages.filter(({ key }) => key !== failing).map(({ value }) => value);
        const attempts: number[] = [];
        const handled: string[] = [];
        let othersDoneWhileRetrying: boolean | undefined;
        await consume(group('retry'), [stream], async ({ value, deliveryAttempt }) => {
          if (value === `${failing}#0`) {
            attempts.push(deliveryAttempt);
            if (deliveryAttempt === 1) {
              throw new Error('first failure');
            }
            if (deliveryAttempt === 2) {
              // Fails only once every message of the other partitions is handled (or 10 s passed):
              // they must flow while this message is still unresolved.
              othersDoneWhileRetrying = await waitFor(
                () => otherValues.every((other) => handled.includes(other)),
                'the other partitions',
                10_000,
              ).then(
                () => true,
                () => false,
              );
              throw new Error('second failure');
            }
          }
          handled.push(value);
        });

        await broker.publish(messages);

        await waitFor(() => handled.length >= messages.length, `the ${messages.length} messages to be handled`);
        expect(attempts).toEqual([1, 2, 3]);
        expect(othersDoneWhileRetrying).toBe(true);
        expect(handled.filter((value) => value.startsWith(`${failing}#`))).toEqual([
          `${failing}#0`,
          `${failing}#1`,
          `${failing}#2`,
        ]);
        expect([...handled].sort()).toEqual(messages.map(({ value }) => value).sort());
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'resumes a group where it stopped: nothing handled is delivered again, nothing published meanwhile is lost',
      async () => {
        const stream = topic('resume');
        await broker.ensureTopics([stream]);
        const before = numbered(stream, 20, 5, 'before');
        const during = numbered(stream, 20, 5, 'during');
        const first: string[] = [];
        const consumer = await consume(group('resume'), [stream], async ({ value }) => {
          first.push(value);
        });
        await broker.publish(before);
        await waitFor(() => first.length >= before.length, 'the first consumer to handle 20 messages');
        await consumer.stop();

        await broker.publish(during);
        const second: string[] = [];
        await consume(group('resume'), [stream], async ({ value }) => {
          second.push(value);
        });

        // Per partition the "before" messages precede the "during" ones, so by the time the
        // second consumer has every "during" message it would already have any redelivery.
        await waitFor(() => second.length >= during.length, 'the second consumer to handle 20 messages');
        expect([...first].sort()).toEqual(before.map(({ value }) => value).sort());
        expect([...second].sort()).toEqual(during.map(({ value }) => value).sort());
      },
      CASE_TIMEOUT_MS,
    );

    it(
      'rejects publish after close instead of hanging',
      async () => {
        const stream = topic('closed');
        await broker.ensureTopics([stream]);
        await broker.publish([{ topic: stream, key: 'k', value: 'before close', headers: {} }]);
        await broker.close();

        const outcome = await Promise.race([
          broker.publish([{ topic: stream, key: 'k', value: 'after close', headers: {} }]).then(
            () => 'resolved',
            () => 'rejected',
          ),
          delay(10_000).then(() => 'still pending after 10 s'),
        ]);
        expect(outcome).toBe('rejected');
      },
      CASE_TIMEOUT_MS,
    );
  });
}

/** `count` messages spread over `keys` keys, each value unique. */
function numbered(topic: string, count: number, keys: number, label = 'message'): BrokerMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    topic,
    key: `key-${index % keys}`,
    value: `${label}-${index}`,
    headers: { 'x-index': String(index) },
  }));
}

/** Resolves as soon as `condition` holds; rejects, naming what it waited for, after `timeoutMs`. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(10);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}
