import { BrokerUnavailable, type BrokerMessage, type DeliveredMessage } from './broker';
import { FaultInjectingBroker } from './fault-injecting-broker';
import { InProcessBroker } from './in-process-broker';

const message = (topic: string, value: string, key = 'k'): BrokerMessage => ({ topic, key, value, headers: {} });

/** A promise's state after everything already scheduled has run. */
async function stateOf(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('InProcessBroker: a publish is accepted once the groups consuming the topic have handled it', () => {
  it('resolves only after every running group has handled every message', async () => {
    const broker = new InProcessBroker(1);
    const billing = gate();
    const handledBy: string[] = [];
    await broker.consume({
      group: 'billing',
      topics: ['orders'],
      handler: async ({ value }) => {
        await billing.opened;
        handledBy.push(`billing:${value}`);
      },
    });
    await broker.consume({
      group: 'shipping',
      topics: ['orders'],
      handler: async ({ value }) => void handledBy.push(`shipping:${value}`),
    });

    const published = broker.publish([message('orders', 'a'), message('orders', 'b')]);
    expect(await stateOf(published)).toBe('pending');
    expect(handledBy).toEqual(['shipping:a', 'shipping:b']);

    billing.open();
    await published;
    expect(handledBy.sort()).toEqual(['billing:a', 'billing:b', 'shipping:a', 'shipping:b']);
    await broker.close();
  });

  it('a message that fails is retried, and the publish waits for its success', async () => {
    const broker = new InProcessBroker(1, 5);
    const attempts: number[] = [];
    await broker.consume({
      group: 'flaky',
      topics: ['orders'],
      handler: async ({ deliveryAttempt }: DeliveredMessage) => {
        attempts.push(deliveryAttempt);
        if (deliveryAttempt < 3) throw new Error('not yet');
      },
    });
    await broker.publish([message('orders', 'a')]);
    expect(attempts).toEqual([1, 2, 3]);
    await broker.close();
  });

  it('fails the publish (BrokerUnavailable) when the group stops before handling it, and keeps the message for its return', async () => {
    const broker = new InProcessBroker(1);
    const stuck = gate();
    const handling = gate();
    const consumer = await broker.consume({
      group: 'billing',
      topics: ['orders'],
      handler: async ({ value }) => {
        if (value === 'first') {
          handling.open();
          await stuck.opened;
        }
      },
    });
    const published = broker.publish([message('orders', 'first'), message('orders', 'second')]);
    await handling.opened;
    // Stopped while handling "first": it finishes that one and takes nothing more.
    const stopping = consumer.stop();
    stuck.open();
    await stopping;
    await expect(published).rejects.toBeInstanceOf(BrokerUnavailable);

    const seen: string[] = [];
    await broker.consume({ group: 'billing', topics: ['orders'], handler: async ({ value }) => void seen.push(value) });
    await expect(broker.publish([message('orders', 'third')])).resolves.toBeUndefined();
    expect(seen).toEqual(['second', 'third']);
    await broker.close();
  });

  it('resolves at once for a topic nobody consumes, and a group that starts later still gets what was kept', async () => {
    const broker = new InProcessBroker(1, 5, 3);
    await broker.publish(['1', '2', '3', '4', '5'].map((value) => message('quiet', value)));
    const seen: string[] = [];
    await broker.consume({ group: 'late', topics: ['quiet'], handler: async ({ value }) => void seen.push(value) });
    await broker.publish([message('quiet', '6')]);
    // Only the newest three were kept while nobody consumed the topic.
    expect(seen).toEqual(['3', '4', '5', '6']);
    await broker.close();
  });

  it('drops what every group has handled, so a long run does not grow its memory', async () => {
    const broker = new InProcessBroker(1);
    const offsets: string[] = [];
    await broker.consume({
      group: 'counter',
      topics: ['orders'],
      handler: async ({ offset }) => void offsets.push(offset),
    });
    for (let batch = 0; batch < 10; batch += 1) {
      await broker.publish(Array.from({ length: 100 }, (_, n) => message('orders', String(batch * 100 + n))));
    }
    expect(offsets).toHaveLength(1000);
    expect(offsets.at(-1)).toBe('999');
    const heldMessages = (broker as unknown as { topics: Map<string, { log: unknown[] }[]> }).topics
      .get('orders')!
      .reduce((sum, partition) => sum + partition.log.length, 0);
    expect(heldMessages).toBe(0);

    // A group that joins now starts after what was dropped, not at offset 0.
    const late: string[] = [];
    await broker.consume({ group: 'late', topics: ['orders'], handler: async ({ offset }) => void late.push(offset) });
    await broker.publish([message('orders', 'next')]);
    expect(late).toEqual(['1000']);
    await broker.close();
  });

  it('fails a publish that waits when the broker closes, and any publish after', async () => {
    const broker = new InProcessBroker(1);
    await broker.consume({ group: 'never', topics: ['orders'], handler: () => new Promise(() => undefined) });
    const published = broker.publish([message('orders', 'a')]);
    await broker.close();
    await expect(published).rejects.toBeInstanceOf(BrokerUnavailable);
    await expect(broker.publish([message('orders', 'b')])).rejects.toBeInstanceOf(BrokerUnavailable);
  });
});

describe('FaultInjectingBroker', () => {
  it('refuses to publish while switched off, as a broker that is down, and passes through once on again', async () => {
    const inner = new InProcessBroker(1);
    const broker = new FaultInjectingBroker(inner);
    const seen: string[] = [];
    await broker.consume({ group: 'g', topics: ['orders'], handler: async ({ value }) => void seen.push(value) });

    expect(broker.toggle()).toBe(false);
    await expect(broker.publish([message('orders', 'lost?')])).rejects.toBeInstanceOf(BrokerUnavailable);
    expect(broker.toggle()).toBe(true);
    await broker.publish([message('orders', 'a')]);
    expect(seen).toEqual(['a']);
    await broker.close();
  });
});
