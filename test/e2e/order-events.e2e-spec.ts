import { OrderPlacedV1 } from '@modulith/ordering';
import { type DeliveredMessage, fromBrokerMessage, parsePayload } from '@platform/messaging';
import { queryDatabase } from '../support/test-database';
import { recordMessages, type MessageRecorder } from '../support/message-recorder';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/** Placing an order publishes ordering.order-placed.v1 through the outbox, once per order. */
describe('Order events (PostgreSQL, in-process broker)', () => {
  let t: TestApp;
  let recorder: MessageRecorder;
  let received: DeliveredMessage[] = [];

  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_POLL_INTERVAL_MS: '50' });
    recorder = await recordMessages(t.app, 'order-events-test', [OrderPlacedV1.type]);
    received = recorder.received;
  });
  afterAll(async () => {
    await recorder.stop();
    await t.close();
  });

  const eventsOf = (orderId: string) => received.filter((message) => message.key === orderId);
  const outboxRows = async (orderId: string) =>
    queryDatabase<{ status: string }>(
      t.database.url,
      // The order's OrderPlaced only: its saga adds the commands it sends, under the same subject.
      `SELECT status FROM ordering.outbox WHERE subject = $1 AND event_type = 'ordering.order-placed.v1'`,
      [orderId],
    );

  it('publishes OrderPlaced with the order, as a CloudEvent keyed by the order id', async () => {
    const placed = await t
      .as('events-1')
      .post('/orders')
      .send({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 2 }] })
      .expect(201);

    await waitFor(() => eventsOf(placed.body.id).length === 1);
    const [message] = eventsOf(placed.body.id);
    const event = fromBrokerMessage(message!);
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'ordering.order-placed.v1',
      source: '/modules/ordering',
      subject: placed.body.id,
      time: placed.body.createdAt,
      datacontenttype: 'application/json',
    });
    expect(parsePayload(OrderPlacedV1, event.data)).toEqual({
      orderId: placed.body.id,
      customerId: 'events-1',
      lines: [{ sku: 'TEA-SENCHA-100G', quantity: 2, unitPriceMinor: 850 }],
      totalMinor: 1700,
      currency: 'EUR',
      placedAt: placed.body.createdAt,
    });
    await waitFor(async () => (await outboxRows(placed.body.id)).every((row) => row.status === 'PUBLISHED'));
  });

  it('publishes one event for an order placed twice with one Idempotency-Key', async () => {
    const body = { items: [{ sku: 'TEA-ASSAM-250G', quantity: 1 }] };
    const first = await t.as('events-2').post('/orders').set('Idempotency-Key', 'events-once').send(body).expect(201);
    await t.as('events-2').post('/orders').set('Idempotency-Key', 'events-once').send(body).expect(201);
    await waitFor(() => eventsOf(first.body.id).length === 1);
    expect(await outboxRows(first.body.id)).toHaveLength(1);
  });

  it('records no event for an order that was refused', async () => {
    // Only OrderPlaced rows: the fulfilment sagas of the orders above keep adding their commands.
    const placedEvents = `SELECT count(*) AS n FROM ordering.outbox WHERE event_type = 'ordering.order-placed.v1'`;
    const before = await queryDatabase<{ n: string }>(t.database.url, placedEvents);
    await t
      .as('events-3')
      .post('/orders')
      .send({ items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] })
      .expect(422);
    expect(await queryDatabase(t.database.url, placedEvents)).toEqual(before);
  });
});
