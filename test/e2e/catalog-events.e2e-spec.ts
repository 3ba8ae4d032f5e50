import { ProductDetailsChangedV1 } from '@modulith/catalog';
import { createEvent, type DeliveredMessage, fromBrokerMessage } from '@platform/messaging';
import { ProductRepository } from '../../libs/catalog/src/application/product-repository';
import { EventOutbox, UnitOfWork } from '../../libs/catalog/src/application/transactions';
import { queryDatabase } from '../support/test-database';
import { recordMessages, type MessageRecorder } from '../support/message-recorder';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Catalog records ProductDetailsChanged through its unit of work (a Prisma transaction carried by
 * async context): the change and its event commit together or not at all.
 */
describe('Catalog events (PostgreSQL, in-process broker)', () => {
  let t: TestApp;
  let recorder: MessageRecorder;
  let received: DeliveredMessage[] = [];

  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_POLL_INTERVAL_MS: '50' });
    recorder = await recordMessages(t.app, 'catalog-events-test', [ProductDetailsChangedV1.type]);
    received = recorder.received;
  });
  afterAll(async () => {
    await recorder.stop();
    await t.close();
  });

  /** An operator: changing a product needs the admin role. */
  const admin = () => t.as('ops', { admin: true });

  const outboxCount = async (sku: string) =>
    Number(
      (
        await queryDatabase<{ n: string }>(
          t.database.url,
          'SELECT count(*) AS n FROM catalog.outbox WHERE subject = $1',
          [sku],
        )
      )[0]!.n,
    );

  it('publishes the product as it is after a change, with its version', async () => {
    await admin().patch('/catalog/products/COF-KENYA-250G').send({ priceMinor: 1490 }).expect(200);
    await waitFor(() => received.some((message) => message.key === 'COF-KENYA-250G'));
    const event = fromBrokerMessage(received.find((message) => message.key === 'COF-KENYA-250G')!);
    expect(event).toMatchObject({
      type: 'catalog.product-details-changed.v1',
      source: '/modules/catalog',
      subject: 'COF-KENYA-250G',
    });
    expect(event.data).toEqual({
      sku: 'COF-KENYA-250G',
      name: 'Kenya AA, 250 g',
      description: 'Juicy coffee with blackcurrant notes.',
      priceMinor: 1490,
      currency: 'EUR',
      version: 2,
    });
  });

  it('records no event when nothing changed or the request was refused', async () => {
    await admin().patch('/catalog/products/COF-DECAF-250G').send({ priceMinor: 1150 }).expect(200); // the same price
    await admin().patch('/catalog/products/COF-DECAF-250G').send({ priceMinor: -5 }).expect(400);
    expect(await outboxCount('COF-DECAF-250G')).toBe(0);
  });

  it('rolls the change back with its event when the unit of work fails after both were written', async () => {
    const unitOfWork = t.app.get(UnitOfWork, { strict: false });
    const outbox = t.app.get(EventOutbox, { strict: false });
    const products = t.app.get(ProductRepository, { strict: false });
    await expect(
      unitOfWork.run(async () => {
        const product = (await products.load('COF-GEISHA-100G'))!;
        product.changeDetails({ priceMinor: 1 });
        await products.saveChanged(product, 1);
        const { version, ...details } = product.snapshot();
        await outbox.record([
          createEvent(
            ProductDetailsChangedV1,
            'COF-GEISHA-100G',
            { ...details, version },
            { source: '/modules/catalog' },
          ),
        ]);
        throw new Error('something failed after the writes');
      }),
    ).rejects.toThrow('something failed after the writes');

    expect((await t.http.get('/catalog/products/COF-GEISHA-100G')).body.priceMinor).toBe(3490);
    expect(await outboxCount('COF-GEISHA-100G')).toBe(0);
  });

  it('refuses to record an event outside a unit of work', async () => {
    const outbox = t.app.get(EventOutbox, { strict: false });
    const event = createEvent(
      ProductDetailsChangedV1,
      'X',
      { sku: 'X', name: 'x', description: '', priceMinor: 1, currency: 'EUR', version: 2 },
      { source: '/modules/catalog' },
    );
    await expect(outbox.record([event])).rejects.toThrow('must be recorded inside the transaction');
  });
});
