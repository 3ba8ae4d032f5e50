import { OrderPlacedV1 } from '@modulith/ordering';
import { DatabaseConnection } from '@platform/database';
import { BrokerUnavailable, type GuardedBroker, MessageBroker } from '@platform/messaging';
import { outboxBacklog } from '@platform/outbox';
import { recordMessages, type MessageRecorder } from '../support/message-recorder';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * The broker goes away: the api keeps accepting orders (placing one never touches the broker),
 * the outbox backlog grows, and once the broker is back every event is delivered.
 */
describe('Broker outage (PostgreSQL, in-process broker)', () => {
  let t: TestApp;
  let recorder: MessageRecorder;
  const delivered = { has: (orderId: string) => recorder.received.some((message) => message.key === orderId) };

  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_POLL_INTERVAL_MS: '50' });
    recorder = await recordMessages(t.app, 'outage-test', [OrderPlacedV1.type]);
  });
  afterAll(async () => {
    await recorder.stop();
    await t.close();
  });

  it('accepts orders while the broker is down and delivers every event after it recovers', async () => {
    // The failure injection, behind the breaker: the broker refuses connections, as Kafka does when down.
    const broker = (t.app.get(MessageBroker) as GuardedBroker).inner;
    const publish = broker.publish.bind(broker);
    broker.publish = async () => {
      throw new BrokerUnavailable('connection refused');
    };
    const placed: string[] = [];
    try {
      for (let i = 0; i < 20; i += 1) {
        const response = await t
          .as(`outage-${i}`)
          .post('/orders')
          .send({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] })
          .expect(201);
        placed.push(response.body.id);
      }
      const backlog = await outboxBacklog(t.app.get(DatabaseConnection), 'ordering');
      expect(backlog.pending).toBe(20);
      expect(backlog.deadLetters).toBe(0);
      expect(placed.filter((id) => delivered.has(id))).toEqual([]);
      // The broker's breaker opens; the broker is optional, so the instance stays ready, degraded.
      await waitFor(async () => (await t.http.get('/health/ready')).body.info?.breakers?.['message-broker'] === 'open');
      const ready = await t.http.get('/health/ready').expect(200);
      expect(ready.body.info.breakers).toMatchObject({ status: 'up', degraded: ['message-broker'] });
    } finally {
      broker.publish = publish;
    }
    await waitFor(() => placed.every((id) => delivered.has(id)), 20_000);
    // Delivery can come before the relay marks its rows published: wait for the marking too.
    const backlog = () => outboxBacklog(t.app.get(DatabaseConnection), 'ordering');
    await waitFor(async () => (await backlog()).pending === 0);
    expect((await backlog()).deadLetters).toBe(0);
  });
});
