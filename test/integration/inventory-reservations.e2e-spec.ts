import { randomUUID } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import { BusinessRuleViolation } from '@platform/ddd';
import { ReleaseStockCommand } from '../../libs/inventory/src/application/release-stock/release-stock.command';
import type { ReservationOutcome } from '../../libs/inventory/src/application/reservation.outcome';
import {
  ReserveStockBatchCommand,
  ReserveStockCommand,
} from '../../libs/inventory/src/application/reserve-stock/reserve-stock.command';
import { queryDatabase } from '../support/test-database';
import { startTestApp, type TestApp } from '../support/test-app';

interface Level {
  sku: string;
  available: number;
  reserved: number;
}

/**
 * Inventory's commands through the app's command bus, on real PostgreSQL: idempotency per order
 * (stock moved once, every repeat answered again), all-or-nothing reservations, releases and their
 * tombstones, and orders racing for the last units.
 * Each test stocks skus of its own (inserted directly: the API has no route that writes stock).
 */
describe('Inventory reservations (PostgreSQL, through the command bus)', () => {
  let t: TestApp;
  let commands: CommandBus;

  beforeAll(async () => {
    t = await startTestApp({ SEED_SAMPLE_DATA: 'false' });
    commands = t.app.get(CommandBus);
  });
  afterAll(() => t.close());

  const sql = <Row>(text: string, params: unknown[] = []) => queryDatabase<Row>(t.database.url, text, params);

  let skuCounter = 0;
  /** Stocks fresh skus: `stock({ A: 7 })` returns { A: 'T<n>-A' }. */
  const stock = async <Name extends string>(levels: Record<Name, number>): Promise<Record<Name, string>> => {
    const prefix = `T${++skuCounter}`;
    const skus = Object.fromEntries(Object.keys(levels).map((name) => [name, `${prefix}-${name}`])) as Record<
      Name,
      string
    >;
    for (const [name, available] of Object.entries(levels) as [Name, number][]) {
      await sql('INSERT INTO inventory.stock (sku, available) VALUES ($1, $2)', [skus[name], available]);
    }
    return skus;
  };
  const level = async (sku: string): Promise<Level> =>
    (await sql<Level>('SELECT sku, available, reserved FROM inventory.stock WHERE sku = $1', [sku]))[0]!;
  const events = (orderId: string) =>
    sql<{ event_type: string; payload: unknown }>(
      'SELECT event_type, payload FROM inventory.outbox WHERE subject = $1 ORDER BY id',
      [orderId],
    );
  const eventTypes = async (orderId: string) => (await events(orderId)).map((event) => event.event_type);
  /**
   * What a repeated command must leave as it was: the stock of these skus and the order's
   * reservation, each row with its xmin (the transaction that last wrote it), so a rewrite of the
   * same values shows too.
   */
  const snapshot = async (orderId: string, skus: string[]) => ({
    stock: await sql(
      'SELECT sku, available, reserved, xmin::text AS version FROM inventory.stock WHERE sku = ANY($1) ORDER BY sku',
      [skus],
    ),
    reservation: await sql(
      `SELECT r.status, r.rejection_reason, r.rejected_skus, r.xmin::text AS version,
              (SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity, 'version', l.xmin::text) ORDER BY l.line_no)
               FROM inventory.reservation_lines l WHERE l.order_id = r.order_id) AS lines
       FROM inventory.reservations r WHERE r.order_id = $1`,
      [orderId],
    ),
  });
  type Request = { orderId: string; lines: { sku: string; quantity: number }[] };
  /**
   * Some of the racing orders won and some lost; each sku's available + reserved is what it was,
   * and its reserved units are exactly what the winners hold. Returns the winners.
   */
  async function expectSomeWonAndStockConserved(
    requests: Request[],
    outcomes: ReservationOutcome[],
    skus: string[],
    initial: number,
  ): Promise<Request[]> {
    const won = requests.filter((_request, index) => outcomes[index]!.status === 'RESERVED');
    expect(won.length).toBeGreaterThan(0);
    expect(won.length).toBeLessThan(requests.length);
    for (const sku of skus) {
      const { available, reserved } = await level(sku);
      const held = won.flatMap((request) => request.lines).filter((line) => line.sku === sku).length;
      expect({ sku, total: available + reserved, reserved }).toEqual({ sku, total: initial, reserved: held });
      expect(available).toBeGreaterThanOrEqual(0);
    }
    return won;
  }
  const reserve = (orderId: string, lines: { sku: string; quantity: number }[]) =>
    commands.execute(new ReserveStockCommand(orderId, lines));
  const release = (orderId: string) => commands.execute(new ReleaseStockCommand(orderId));

  it('reserves once: a repeat returns the same outcome, leaves stock as it was and records stock-reserved again', async () => {
    const { TEA, CUP } = await stock({ TEA: 5, CUP: 2 });
    const order = randomUUID();
    const lines = [
      { sku: TEA, quantity: 3 },
      { sku: CUP, quantity: 2 },
    ];
    const first = await reserve(order, lines);
    expect(first).toEqual({ orderId: order, status: 'RESERVED', lines });
    const before = await snapshot(order, [TEA, CUP]);
    const second = await reserve(order, lines);
    expect(second).toEqual(first);
    // A repeat with other lines gets the first decision too, and its lines.
    expect(await reserve(order, [{ sku: TEA, quantity: 1 }])).toEqual(first);

    expect(await snapshot(order, [TEA, CUP])).toEqual(before);
    expect(await level(TEA)).toEqual({ sku: TEA, available: 2, reserved: 3 });
    expect(await level(CUP)).toEqual({ sku: CUP, available: 0, reserved: 2 });
    expect(await events(order)).toEqual(
      Array(3).fill({ event_type: 'inventory.stock-reserved.v1', payload: { orderId: order, lines } }),
    );
    const ids = await sql<{ event_id: string }>('SELECT event_id FROM inventory.outbox WHERE subject = $1', [order]);
    expect(new Set(ids.map((row) => row.event_id)).size).toBe(3);
  });

  it('answers concurrent repeats of one order with one decision, reserved once and answered each time', async () => {
    const { TEA } = await stock({ TEA: 10 });
    const order = randomUUID();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => reserve(order, [{ sku: TEA, quantity: 4 }])));
    expect(new Set(outcomes.map((outcome) => JSON.stringify(outcome))).size).toBe(1);
    expect(await level(TEA)).toEqual({ sku: TEA, available: 6, reserved: 4 });
    expect(await events(order)).toEqual(
      Array(10).fill({
        event_type: 'inventory.stock-reserved.v1',
        payload: { orderId: order, lines: [{ sku: TEA, quantity: 4 }] },
      }),
    );
  });

  it('reserves all or nothing: one short line rejects the order, OUT_OF_STOCK with the skus short', async () => {
    const { TEA, CUP, POT } = await stock({ TEA: 5, CUP: 1, POT: 0 });
    const order = randomUUID();
    const outcome = await reserve(order, [
      { sku: TEA, quantity: 5 },
      { sku: CUP, quantity: 2 },
      { sku: POT, quantity: 1 },
    ]);
    expect(outcome).toEqual({ orderId: order, status: 'REJECTED', reason: 'OUT_OF_STOCK', skus: [CUP, POT] });
    expect(await level(TEA)).toEqual({ sku: TEA, available: 5, reserved: 0 });
    expect(await level(CUP)).toEqual({ sku: CUP, available: 1, reserved: 0 });
    expect(await events(order)).toEqual([
      {
        event_type: 'inventory.stock-reservation-rejected.v1',
        payload: { orderId: order, reason: 'OUT_OF_STOCK', skus: [CUP, POT] },
      },
    ]);
    // The decision is kept: more stock arriving later does not change the answer to a repeat, which
    // records the rejection again and holds nothing.
    await sql('UPDATE inventory.stock SET available = 10 WHERE sku = $1', [CUP]);
    const before = await snapshot(order, [TEA, CUP, POT]);
    expect(await reserve(order, [{ sku: TEA, quantity: 1 }])).toEqual(outcome);
    expect(await snapshot(order, [TEA, CUP, POT])).toEqual(before);
    expect(await events(order)).toEqual(
      Array(2).fill({
        event_type: 'inventory.stock-reservation-rejected.v1',
        payload: { orderId: order, reason: 'OUT_OF_STOCK', skus: [CUP, POT] },
      }),
    );
  });

  it('rejects an unknown sku with UNKNOWN_SKU rather than failing', async () => {
    const { TEA } = await stock({ TEA: 5 });
    const order = randomUUID();
    expect(
      await reserve(order, [
        { sku: TEA, quantity: 1 },
        { sku: 'NO-SUCH-SKU', quantity: 1 },
      ]),
    ).toEqual({ orderId: order, status: 'REJECTED', reason: 'UNKNOWN_SKU', skus: ['NO-SUCH-SKU'] });
    expect(await level(TEA)).toEqual({ sku: TEA, available: 5, reserved: 0 });
  });

  it('refuses a command that breaks a rule, writing nothing', async () => {
    const { TEA } = await stock({ TEA: 5 });
    const order = randomUUID();
    await expect(
      reserve(order, [
        { sku: TEA, quantity: 1 },
        { sku: TEA, quantity: 1 },
      ]),
    ).rejects.toThrow(BusinessRuleViolation);
    expect(await sql('SELECT 1 FROM inventory.reservations WHERE order_id = $1', [order])).toEqual([]);
    expect(await events(order)).toEqual([]);
  });

  it('releases what was reserved once, and answers each repeat with stock-released again', async () => {
    const { TEA, CUP } = await stock({ TEA: 5, CUP: 2 });
    const order = randomUUID();
    await reserve(order, [
      { sku: TEA, quantity: 3 },
      { sku: CUP, quantity: 1 },
    ]);
    expect(await release(order)).toEqual({ orderId: order, status: 'RELEASED' });
    const before = await snapshot(order, [TEA, CUP]);
    expect(await release(order)).toEqual({ orderId: order, status: 'RELEASED' });
    expect(await snapshot(order, [TEA, CUP])).toEqual(before);
    expect(await level(TEA)).toEqual({ sku: TEA, available: 5, reserved: 0 });
    expect(await level(CUP)).toEqual({ sku: CUP, available: 2, reserved: 0 });
    expect(await eventTypes(order)).toEqual([
      'inventory.stock-reserved.v1',
      'inventory.stock-released.v1',
      'inventory.stock-released.v1',
    ]);
    // Released is final: a late repeat of the reserve holds nothing again, and is answered with
    // the order's state now, stock-released, not with the stale stock-reserved.
    expect(await reserve(order, [{ sku: TEA, quantity: 3 }])).toEqual({ orderId: order, status: 'RELEASED' });
    expect(await snapshot(order, [TEA, CUP])).toEqual(before);
    expect(await events(order)).toEqual([
      expect.objectContaining({ event_type: 'inventory.stock-reserved.v1' }),
      ...Array(3).fill({ event_type: 'inventory.stock-released.v1', payload: { orderId: order } }),
    ]);
  });

  it('answers the release of a rejected reservation with stock-released, changing nothing', async () => {
    const { TEA } = await stock({ TEA: 1 });
    const order = randomUUID();
    const rejected = await reserve(order, [{ sku: TEA, quantity: 2 }]);
    const before = await snapshot(order, [TEA]);
    expect(await release(order)).toEqual(rejected);
    expect(await release(order)).toEqual(rejected);
    expect(await snapshot(order, [TEA])).toEqual(before);
    expect(await level(TEA)).toEqual({ sku: TEA, available: 1, reserved: 0 });
    expect(await events(order)).toEqual([
      expect.objectContaining({ event_type: 'inventory.stock-reservation-rejected.v1' }),
      ...Array(2).fill({ event_type: 'inventory.stock-released.v1', payload: { orderId: order } }),
    ]);
    // It stays rejected: a repeated reserve is still answered with the rejection.
    expect(await reserve(order, [{ sku: TEA, quantity: 1 }])).toEqual(rejected);
    expect((await eventTypes(order)).at(-1)).toBe('inventory.stock-reservation-rejected.v1');
    expect(await level(TEA)).toEqual({ sku: TEA, available: 1, reserved: 0 });
  });

  it('keeps a tombstone for a release that overtook its reserve: the reserve then holds nothing', async () => {
    const { TEA } = await stock({ TEA: 5 });
    const order = randomUUID();
    expect(await release(order)).toEqual({ orderId: order, status: 'RELEASED' });
    const before = await snapshot(order, [TEA]);
    expect(await reserve(order, [{ sku: TEA, quantity: 2 }])).toEqual({ orderId: order, status: 'RELEASED' });
    expect(await release(order)).toEqual({ orderId: order, status: 'RELEASED' });
    expect(await snapshot(order, [TEA])).toEqual(before);
    expect(await level(TEA)).toEqual({ sku: TEA, available: 5, reserved: 0 });
    // Each of the three commands is answered: the tombstone, the reserve it turned away, the repeat.
    expect(await events(order)).toEqual(
      Array(3).fill({ event_type: 'inventory.stock-released.v1', payload: { orderId: order } }),
    );
    expect(
      await sql(
        'SELECT status, (SELECT count(*)::int FROM inventory.reservation_lines WHERE order_id = $1) AS lines FROM inventory.reservations WHERE order_id = $1',
        [order],
      ),
    ).toEqual([{ status: 'RELEASED', lines: 0 }]);
  });

  it('ends released with stock restored however a reserve and a release of one order interleave', async () => {
    const { TEA } = await stock({ TEA: 50 });
    const orders = Array.from({ length: 10 }, () => randomUUID());
    await Promise.all(orders.flatMap((order) => [reserve(order, [{ sku: TEA, quantity: 5 }]), release(order)]));
    expect(await level(TEA)).toEqual({ sku: TEA, available: 50, reserved: 0 });
    for (const order of orders) {
      expect(await release(order)).toEqual({ orderId: order, status: 'RELEASED' });
      expect((await events(order)).at(-1)?.event_type).toBe('inventory.stock-released.v1');
    }
  });

  it('has the database refuse stock below zero too, whatever writes it (CHECK constraints)', async () => {
    const { TEA } = await stock({ TEA: 1 });
    await expect(sql('UPDATE inventory.stock SET available = available - 2 WHERE sku = $1', [TEA])).rejects.toThrow(
      'stock_available_not_negative',
    );
    await expect(sql('UPDATE inventory.stock SET reserved = reserved - 1 WHERE sku = $1', [TEA])).rejects.toThrow(
      'stock_reserved_not_negative',
    );
  });

  it('lets exactly as many orders win as there are units: 40 orders race for the last 7', async () => {
    const { LAST } = await stock({ LAST: 7 });
    const orders = Array.from({ length: 40 }, () => randomUUID());
    const outcomes = await Promise.all(orders.map((order) => reserve(order, [{ sku: LAST, quantity: 1 }])));

    const byStatus = (status: ReservationOutcome['status']) => outcomes.filter((outcome) => outcome.status === status);
    expect(byStatus('RESERVED')).toHaveLength(7);
    expect(byStatus('REJECTED')).toHaveLength(33);
    expect(byStatus('REJECTED').every((outcome) => 'reason' in outcome && outcome.reason === 'OUT_OF_STOCK')).toBe(
      true,
    );
    expect(await level(LAST)).toEqual({ sku: LAST, available: 0, reserved: 7 });

    const [counts] = await sql<{ reserved: number; rejected: number; events: number }>(
      `SELECT count(*) FILTER (WHERE status = 'RESERVED')::int AS reserved,
              count(*) FILTER (WHERE status = 'REJECTED')::int AS rejected,
              (SELECT count(*)::int FROM inventory.outbox WHERE subject = ANY($1::text[])) AS events
       FROM inventory.reservations WHERE order_id = ANY($1::uuid[])`,
      [orders],
    );
    expect(counts).toEqual({ reserved: 7, rejected: 33, events: 40 });
    const [held] = await sql<{ quantity: number }>(
      `SELECT coalesce(sum(l.quantity), 0)::int AS quantity FROM inventory.reservation_lines l
       JOIN inventory.reservations r USING (order_id) WHERE r.status = 'RESERVED' AND l.sku = $1`,
      [LAST],
    );
    expect(held!.quantity).toBe(7);
  });

  it('never deadlocks and conserves stock when orders lock several skus in different orders', async () => {
    const initial = 30;
    const skus = Object.values(await stock({ A: initial, B: initial, C: initial, D: initial }));
    // Every ordered pair of distinct skus ([A,B], [B,A], [C,A], ...: 12 pairs), ten times over: 120
    // orders of 1 unit of each of two skus, half of them listing a pair in the opposite order. Each
    // sku is asked for 60 times and has 30 units, so orders contend on every sku and many lose.
    const pairs = skus.flatMap((first) => skus.filter((second) => second !== first).map((second) => [first, second]));
    const requests = Array.from({ length: 10 }, () => pairs)
      .flat()
      .map(([first, second]) => ({
        orderId: randomUUID(),
        lines: [
          { sku: first!, quantity: 1 },
          { sku: second!, quantity: 1 },
        ],
      }));
    const settled = await Promise.allSettled(requests.map((request) => reserve(request.orderId, request.lines)));

    const failures = settled.filter((result) => result.status === 'rejected');
    expect(failures.map((failure) => String((failure as PromiseRejectedResult).reason))).toEqual([]);
    const outcomes = settled.map((result) => (result as PromiseFulfilledResult<ReservationOutcome>).value);
    const won = await expectSomeWonAndStockConserved(requests, outcomes, skus, initial);
    // reserved = what the winners hold, so the losers hold nothing: all or nothing under contention too.
    expect(outcomes.filter((outcome) => outcome.status !== 'RESERVED')).toEqual(
      Array(requests.length - won.length).fill(expect.objectContaining({ status: 'REJECTED', reason: 'OUT_OF_STOCK' })),
    );
  });

  describe('a batch of orders (ReserveStockBatchCommand, the inbox applying several commands at once)', () => {
    const reserveBatch = (orders: { orderId: string; lines: { sku: string; quantity: number }[] }[]) =>
      commands.execute(
        new ReserveStockBatchCommand(
          orders.map(({ orderId, lines }) => ({ command: new ReserveStockCommand(orderId, lines) })),
        ),
      );

    it('decides each order in turn on the stock its predecessors left; a repeat gets the first decision', async () => {
      const { LAST, CUP } = await stock({ LAST: 2, CUP: 5 });
      const [earlier, first, second, third] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await reserve(earlier, [{ sku: CUP, quantity: 1 }]);

      const outcomes = await reserveBatch([
        { orderId: first, lines: [{ sku: LAST, quantity: 1 }] },
        {
          orderId: second,
          lines: [
            { sku: LAST, quantity: 1 },
            { sku: CUP, quantity: 2 },
          ],
        },
        { orderId: third, lines: [{ sku: LAST, quantity: 1 }] },
        { orderId: first, lines: [{ sku: LAST, quantity: 1 }] },
        { orderId: earlier, lines: [{ sku: CUP, quantity: 4 }] },
      ]);

      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'RESERVED',
        'RESERVED',
        'REJECTED',
        'RESERVED',
        'RESERVED',
      ]);
      expect(outcomes[2]).toEqual({ orderId: third, status: 'REJECTED', reason: 'OUT_OF_STOCK', skus: [LAST] });
      expect(outcomes[3]).toEqual(outcomes[0]);
      expect(outcomes[4]).toEqual({ orderId: earlier, status: 'RESERVED', lines: [{ sku: CUP, quantity: 1 }] });
      expect(await level(LAST)).toEqual({ sku: LAST, available: 0, reserved: 2 });
      expect(await level(CUP)).toEqual({ sku: CUP, available: 2, reserved: 3 });
      expect(await eventTypes(first)).toEqual(['inventory.stock-reserved.v1', 'inventory.stock-reserved.v1']);
      expect(await eventTypes(third)).toEqual(['inventory.stock-reservation-rejected.v1']);
      expect(await eventTypes(earlier)).toEqual(['inventory.stock-reserved.v1', 'inventory.stock-reserved.v1']);
      const rows = await sql<{ order_id: string; status: string; rejected_skus: string[]; lines: number }>(
        `SELECT r.order_id::text AS order_id, r.status, r.rejected_skus,
                (SELECT count(*)::int FROM inventory.reservation_lines l WHERE l.order_id = r.order_id) AS lines
         FROM inventory.reservations r WHERE r.order_id = ANY($1::uuid[]) ORDER BY r.order_id`,
        [[first, second, third]],
      );
      expect(rows).toEqual(
        [
          { order_id: first, status: 'RESERVED', rejected_skus: [], lines: 1 },
          { order_id: second, status: 'RESERVED', rejected_skus: [], lines: 2 },
          { order_id: third, status: 'REJECTED', rejected_skus: [LAST], lines: 1 },
        ].sort((a, b) => a.order_id.localeCompare(b.order_id)),
      );
    });

    it('writes nothing when one order of the batch breaks a rule', async () => {
      const { TEA } = await stock({ TEA: 5 });
      const [valid, broken] = [randomUUID(), randomUUID()];
      await expect(
        reserveBatch([
          { orderId: valid, lines: [{ sku: TEA, quantity: 1 }] },
          {
            orderId: broken,
            lines: [
              { sku: TEA, quantity: 1 },
              { sku: TEA, quantity: 1 },
            ],
          },
        ]),
      ).rejects.toThrow();
      expect(await level(TEA)).toEqual({ sku: TEA, available: 5, reserved: 0 });
      expect(await eventTypes(valid)).toEqual([]);
    });

    it('never deadlocks: concurrent batches over the same skus, listed in different orders, conserve stock', async () => {
      const initial = 40;
      const skus = Object.values(await stock({ A: initial, B: initial, C: initial, D: initial }));
      const pairs = skus.flatMap((first) => skus.filter((second) => second !== first).map((second) => [first, second]));
      // Eight batches of twelve orders, each batch every ordered pair once: 96 orders, 48 per sku.
      const batches = Array.from({ length: 8 }, (_, n) =>
        pairs.map((_pair, index) => {
          const [first, second] = pairs[(index + n * 5) % pairs.length]!;
          return {
            orderId: randomUUID(),
            lines: [
              { sku: first!, quantity: 1 },
              { sku: second!, quantity: 1 },
            ],
          };
        }),
      );
      const settled = await Promise.allSettled(batches.map(reserveBatch));

      expect(settled.filter((result) => result.status === 'rejected').map((failure) => String(failure.reason))).toEqual(
        [],
      );
      const requests = batches.flat();
      const outcomes = settled.flatMap((result) => (result as PromiseFulfilledResult<ReservationOutcome[]>).value);
      await expectSomeWonAndStockConserved(requests, outcomes, skus, initial);
    });
  });
});
