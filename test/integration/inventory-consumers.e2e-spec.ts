import { randomUUID } from 'node:crypto';
import {
  ReleaseStockV1,
  ReserveStockV1,
  StockReleasedV1,
  StockReservationRejectedV1,
  StockReservedV1,
} from '@modulith/inventory';
import { InboxConsumers } from '@platform/inbox';
import {
  createEvent,
  type DeliveredMessage,
  type EventContract,
  type EventData,
  fromBrokerMessage,
  type IntegrationEvent,
  MessageBroker,
  toBrokerMessage,
} from '@platform/messaging';
import { queryDatabase } from '../support/test-database';
import { recordMessages, type MessageRecorder } from '../support/message-recorder';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Inventory's commands taken from the broker through its inbox (the api process runs the relays
 * and the consumers with the in-process broker), on real PostgreSQL: each command applied once,
 * its answer published through the outbox, and the inbox record, the stock change and the event
 * committed in one transaction. A message delivered twice is dropped by the inbox; a command sent
 * again (a new message, as the saga re-sends when it got no answer) is answered again, with the
 * stock moved once.
 */
describe('Inventory consumers (PostgreSQL, in-process broker, inbox)', () => {
  let t: TestApp;
  let recorder: MessageRecorder;
  let received: DeliveredMessage[] = [];

  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_POLL_INTERVAL_MS: '50' });
    recorder = await recordMessages(t.app, 'inventory-consumers-test', [
      StockReservedV1.type,
      StockReservationRejectedV1.type,
      StockReleasedV1.type,
    ]);
    received = recorder.received;
  });
  afterAll(async () => {
    await recorder.stop();
    await t.close();
  });

  const sql = <Row>(text: string, params: unknown[] = []) => queryDatabase<Row>(t.database.url, text, params);
  const send = async <Contract extends EventContract>(
    contract: Contract,
    orderId: string,
    data: EventData<Contract>,
  ): Promise<IntegrationEvent> => {
    const event = createEvent(contract, orderId, data, { source: '/modules/ordering' });
    await t.app.get(MessageBroker).publish([toBrokerMessage(event)]);
    return event;
  };
  const publish = (event: IntegrationEvent) => t.app.get(MessageBroker).publish([toBrokerMessage(event)]);
  const eventsOf = (orderId: string) =>
    received.map((message) => fromBrokerMessage(message)).filter((event) => event.subject === orderId);
  const inboxRows = (messageId: string) =>
    sql<{ consumer: string }>('SELECT consumer FROM inventory.inbox WHERE message_id = $1', [messageId]);
  const stockOf = async (sku: string) => (await t.http.get(`/inventory/stock/${sku}`).expect(200)).body;
  /** The counters of the app's inbox consumers, summed: inventory's two are its only ones. */
  const counters = () =>
    t.app
      .get(InboxConsumers)
      .consumers.map((running) => running.counters)
      .reduce((sum, each) => ({
        handled: sum.handled + each.handled,
        duplicates: sum.duplicates + each.duplicates,
        failedAttempts: sum.failedAttempts + each.failedAttempts,
        deadLettered: sum.deadLettered + each.deadLettered,
      }));

  it('reserves stock on a reserve-stock command, publishes stock-reserved and records the message once', async () => {
    const orderId = randomUUID();
    const before = await stockOf('TEA-SENCHA-100G');
    const command = await send(ReserveStockV1, orderId, { orderId, lines: [{ sku: 'TEA-SENCHA-100G', quantity: 2 }] });

    await waitFor(() => eventsOf(orderId).length === 1);
    expect(eventsOf(orderId)[0]).toMatchObject({
      type: StockReservedV1.type,
      subject: orderId,
      data: { orderId, lines: [{ sku: 'TEA-SENCHA-100G', quantity: 2 }] },
    });
    expect(await stockOf('TEA-SENCHA-100G')).toEqual({
      sku: 'TEA-SENCHA-100G',
      available: before.available - 2,
      reserved: before.reserved + 2,
    });
    expect(await inboxRows(command.id)).toEqual([{ consumer: 'inventory.reserve-stock' }]);
  });

  it('applies a message delivered twice once: the inbox drops the redelivery, reserved once, one event', async () => {
    const orderId = randomUUID();
    const before = await stockOf('TEA-ASSAM-250G');
    const command = createEvent(
      ReserveStockV1,
      orderId,
      { orderId, lines: [{ sku: 'TEA-ASSAM-250G', quantity: 3 }] },
      { source: '/modules/ordering' },
    );
    const duplicatesBefore = counters().duplicates;
    await publish(command);
    await publish(command);

    await waitFor(() => counters().duplicates === duplicatesBefore + 1);
    await waitFor(() => eventsOf(orderId).length === 1);
    expect((await stockOf('TEA-ASSAM-250G')).reserved).toBe(before.reserved + 3);
    expect(await inboxRows(command.id)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the relay's polls: still one event
    expect(eventsOf(orderId)).toHaveLength(1);
    expect(await sql('SELECT id FROM inventory.outbox WHERE subject = $1', [orderId])).toHaveLength(1);
  });

  it('answers a reserve beyond the stock with stock-reservation-rejected, as an outcome, not a failure', async () => {
    const orderId = randomUUID();
    const failedBefore = counters().failedAttempts;
    const command = await send(ReserveStockV1, orderId, { orderId, lines: [{ sku: 'COF-GEISHA-100G', quantity: 5 }] });

    await waitFor(() => eventsOf(orderId).length === 1);
    expect(eventsOf(orderId)[0]).toMatchObject({
      type: StockReservationRejectedV1.type,
      data: { orderId, reason: 'OUT_OF_STOCK', skus: ['COF-GEISHA-100G'] },
    });
    expect(await stockOf('COF-GEISHA-100G')).toEqual({ sku: 'COF-GEISHA-100G', available: 1, reserved: 0 });
    expect(counters().failedAttempts).toBe(failedBefore);
    expect(await inboxRows(command.id)).toHaveLength(1);
  });

  it('gives the stock back on a release-stock command and publishes stock-released', async () => {
    const orderId = randomUUID();
    const before = await stockOf('TEA-MATCHA-30G');
    await send(ReserveStockV1, orderId, { orderId, lines: [{ sku: 'TEA-MATCHA-30G', quantity: 1 }] });
    await waitFor(() => eventsOf(orderId).length === 1);
    expect((await stockOf('TEA-MATCHA-30G')).available).toBe(before.available - 1);

    const command = await send(ReleaseStockV1, orderId, { orderId });
    await waitFor(() => eventsOf(orderId).length === 2);
    expect(eventsOf(orderId)[1]).toMatchObject({ type: StockReleasedV1.type, data: { orderId } });
    expect(await stockOf('TEA-MATCHA-30G')).toEqual(before);
    expect(await inboxRows(command.id)).toEqual([{ consumer: 'inventory.release-stock' }]);
  });

  it('answers a reserve-stock command sent again with stock-reserved again, holding the stock once', async () => {
    const orderId = randomUUID();
    const lines = [{ sku: 'TEA-EARLGREY-100G', quantity: 2 }];
    const before = await stockOf('TEA-EARLGREY-100G');
    const first = await send(ReserveStockV1, orderId, { orderId, lines });
    await waitFor(() => eventsOf(orderId).length === 1);
    const held = await stockOf('TEA-EARLGREY-100G');
    expect(held).toEqual({ ...before, available: before.available - 2, reserved: before.reserved + 2 });

    // The saga's timeout passed without the answer: it sends the command again, a new message.
    const again = await send(ReserveStockV1, orderId, { orderId, lines });
    await waitFor(() => eventsOf(orderId).length === 2);
    const [answer, repeated] = eventsOf(orderId);
    expect(repeated).toMatchObject({ type: StockReservedV1.type, subject: orderId, data: { orderId, lines } });
    expect(repeated!.data).toEqual(answer!.data);
    expect(repeated!.id).not.toBe(answer!.id);
    expect(await stockOf('TEA-EARLGREY-100G')).toEqual(held);
    expect(await inboxRows(first.id)).toHaveLength(1);
    expect(await inboxRows(again.id)).toHaveLength(1);
  });

  it('answers a repeated release-stock command with stock-released again, giving the stock back once', async () => {
    const orderId = randomUUID();
    const before = await stockOf('TEA-CEYLON-250G');
    await send(ReserveStockV1, orderId, { orderId, lines: [{ sku: 'TEA-CEYLON-250G', quantity: 3 }] });
    await waitFor(() => eventsOf(orderId).length === 1);
    await send(ReleaseStockV1, orderId, { orderId });
    await waitFor(() => eventsOf(orderId).length === 2);
    expect(await stockOf('TEA-CEYLON-250G')).toEqual(before);

    await send(ReleaseStockV1, orderId, { orderId });
    await waitFor(() => eventsOf(orderId).length === 3);
    // A reserve repeated after the release is answered with the order's state now: released.
    await send(ReserveStockV1, orderId, { orderId, lines: [{ sku: 'TEA-CEYLON-250G', quantity: 3 }] });
    await waitFor(() => eventsOf(orderId).length === 4);
    expect(eventsOf(orderId).map((event) => event.type)).toEqual([
      StockReservedV1.type,
      StockReleasedV1.type,
      StockReleasedV1.type,
      StockReleasedV1.type,
    ]);
    expect(eventsOf(orderId).slice(1)).toEqual(
      Array(3).fill(expect.objectContaining({ subject: orderId, data: { orderId } })),
    );
    expect(await stockOf('TEA-CEYLON-250G')).toEqual(before);
  });

  it('answers a rejected order’s repeated reserve with the rejection again, and its release with stock-released', async () => {
    const orderId = randomUUID();
    const before = await stockOf('GFT-CARD-50');
    await send(ReserveStockV1, orderId, { orderId, lines: [{ sku: 'GFT-CARD-50', quantity: 1 }] });
    await waitFor(() => eventsOf(orderId).length === 1);
    await send(ReserveStockV1, orderId, { orderId, lines: [{ sku: 'GFT-CARD-50', quantity: 1 }] });
    await waitFor(() => eventsOf(orderId).length === 2);
    await send(ReleaseStockV1, orderId, { orderId });
    await waitFor(() => eventsOf(orderId).length === 3);

    const rejection = {
      type: StockReservationRejectedV1.type,
      data: { orderId, reason: 'OUT_OF_STOCK', skus: ['GFT-CARD-50'] },
    };
    expect(eventsOf(orderId)).toEqual([
      expect.objectContaining(rejection),
      expect.objectContaining(rejection),
      expect.objectContaining({ type: StockReleasedV1.type, data: { orderId } }),
    ]);
    expect(await stockOf('GFT-CARD-50')).toEqual(before);
    expect(await sql('SELECT status FROM inventory.reservations WHERE order_id = $1', [orderId])).toEqual([
      { status: 'REJECTED' },
    ]);
  });

  it('writes the inbox record, the stock and the reservation in the inbox’s one transaction', async () => {
    // xmin is the id of the transaction that wrote a row's current version: the handler's unit of
    // work joined the inbox's transaction (REQUIRED) if and only if all three are the same.
    const orderId = randomUUID();
    const command = await send(ReserveStockV1, orderId, { orderId, lines: [{ sku: 'COF-KENYA-250G', quantity: 1 }] });
    await waitFor(() => eventsOf(orderId).length === 1);
    const [xmin] = await sql<{ inbox: string; stock: string; reservation: string }>(
      `SELECT (SELECT xmin::text FROM inventory.inbox WHERE message_id = $1) AS inbox,
              (SELECT xmin::text FROM inventory.stock WHERE sku = 'COF-KENYA-250G') AS stock,
              (SELECT xmin::text FROM inventory.reservations WHERE order_id = $2) AS reservation`,
      [command.id, orderId],
    );
    expect(xmin!.inbox).toEqual(expect.any(String));
    expect(xmin).toEqual({ inbox: xmin!.inbox, stock: xmin!.inbox, reservation: xmin!.inbox });
  });

  it('rolls the stock change back with the inbox record when the handling fails after it, then applies the retry once', async () => {
    // The first attempt fails on its last write, the outbox's, after the stock and the reservation
    // were written: a trigger in this test database raises once (a sequence is not transactional,
    // so the failed attempt cannot roll back the fact that it failed).
    const orderId = randomUUID();
    await sql(`CREATE SEQUENCE inventory.fail_once_${orderId.replaceAll('-', '')}`);
    await sql(`
      CREATE FUNCTION inventory.fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.subject = '${orderId}' AND nextval('inventory.fail_once_${orderId.replaceAll('-', '')}') = 1 THEN
          RAISE EXCEPTION 'the outbox write failed (test)';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_once BEFORE INSERT ON inventory.outbox FOR EACH ROW EXECUTE FUNCTION inventory.fail_once();
    `);
    try {
      const failedBefore = counters().failedAttempts;
      const before = await stockOf('COF-COLOMBIA-250G');
      const command = await send(ReserveStockV1, orderId, {
        orderId,
        lines: [{ sku: 'COF-COLOMBIA-250G', quantity: 4 }],
      });

      await waitFor(() => eventsOf(orderId).length === 1);
      expect(counters().failedAttempts).toBe(failedBefore + 1);
      expect(eventsOf(orderId)[0]).toMatchObject({ type: StockReservedV1.type });
      expect(await stockOf('COF-COLOMBIA-250G')).toEqual({
        sku: 'COF-COLOMBIA-250G',
        available: before.available - 4,
        reserved: before.reserved + 4,
      });
      expect(await inboxRows(command.id)).toHaveLength(1);
      expect(await sql('SELECT order_id FROM inventory.reservations WHERE order_id = $1', [orderId])).toHaveLength(1);
    } finally {
      await sql('DROP TRIGGER fail_once ON inventory.outbox; DROP FUNCTION inventory.fail_once()');
    }
  });
});
