import type { IntegrationEvent } from '@platform/messaging';
import { Reservation, type ReservationState } from '../domain/reservation';
import { Stock, type StockState } from '../domain/stock';
import { ReservationRepository, StockRepository } from './ports';
import { ReleaseStockCommand } from './release-stock/release-stock.command';
import { ReleaseStockHandler } from './release-stock/release-stock.handler';
import { ReserveStockCommand } from './reserve-stock/reserve-stock.command';
import { ReserveStockHandler } from './reserve-stock/reserve-stock.handler';
import type { StockView } from './stock.view';
import { EventOutbox, UnitOfWork } from './transactions';

/** In-memory stand-ins for the handlers' ports: their decisions, without a database. */
class FakeStock extends StockRepository {
  readonly rows = new Map<string, StockState>();
  locked: string[][] = [];
  saved: string[][] = [];

  async findView(sku: string): Promise<StockView | null> {
    return this.rows.get(sku) ?? null;
  }

  async lockForUpdate(skus: readonly string[]): Promise<Map<string, Stock>> {
    this.locked.push([...skus]);
    return new Map(skus.filter((sku) => this.rows.has(sku)).map((sku) => [sku, Stock.restore(this.rows.get(sku)!)]));
  }

  async save(stock: readonly Stock[]): Promise<void> {
    this.saved.push(stock.map((item) => item.sku));
    for (const item of stock) {
      this.rows.set(item.sku, item.snapshot());
    }
  }
}

class FakeReservations extends ReservationRepository {
  readonly rows = new Map<string, ReservationState>();
  readonly locks: string[] = [];
  writes = 0;

  async lockOrders(orderIds: readonly string[]): Promise<void> {
    this.locks.push(...orderIds);
  }

  async findAll(orderIds: readonly string[]): Promise<Map<string, Reservation>> {
    const found = orderIds.filter((orderId) => this.rows.has(orderId));
    return new Map(found.map((orderId) => [orderId, Reservation.restore(this.rows.get(orderId)!)]));
  }

  /** `outbox` receives the events addAll records with the reservations, as its one statement does. */
  constructor(private readonly outbox: RecordingOutbox) {
    super();
  }

  async addAll(reservations: readonly Reservation[], events: readonly IntegrationEvent[]): Promise<void> {
    for (const reservation of reservations) {
      if (this.rows.has(reservation.orderId)) {
        throw new Error('duplicate reservation');
      }
      this.rows.set(reservation.orderId, reservation.snapshot());
    }
    this.writes++;
    await this.outbox.record(events);
  }

  async saveStatus(reservation: Reservation): Promise<void> {
    this.writes++;
    this.rows.set(reservation.orderId, { ...this.rows.get(reservation.orderId)!, status: reservation.status });
  }
}

class ImmediateUnitOfWork extends UnitOfWork {
  run<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }
}

class RecordingOutbox extends EventOutbox {
  readonly events: IntegrationEvent[] = [];

  async record(events: readonly IntegrationEvent[]): Promise<void> {
    this.events.push(...events);
  }
}

const ORDER = '0194a8a0-0000-7000-8000-000000000001';

function setup(levels: Record<string, number>) {
  const stock = new FakeStock();
  for (const [sku, available] of Object.entries(levels)) {
    stock.rows.set(sku, { sku, available, reserved: 0 });
  }
  const outbox = new RecordingOutbox();
  const reservations = new FakeReservations(outbox);
  const unitOfWork = new ImmediateUnitOfWork();
  return {
    stock,
    reservations,
    outbox,
    reserve: (orderId: string, lines: { sku: string; quantity: number }[]) =>
      new ReserveStockHandler(stock, reservations, unitOfWork, outbox).execute(new ReserveStockCommand(orderId, lines)),
    release: (orderId: string) =>
      new ReleaseStockHandler(stock, reservations, unitOfWork, outbox).execute(new ReleaseStockCommand(orderId)),
    types: () => outbox.events.map((event) => event.type),
    /** What a repeat must leave as it was: the stock, what was locked and written, the reservations. */
    state: () =>
      structuredClone({
        stock: [...stock.rows.values()],
        locked: stock.locked,
        saved: stock.saved,
        writes: reservations.writes,
        reservations: [...reservations.rows.values()],
      }),
  };
}

/** An answer recorded again is a new event (its own id) with the same subject and payload. */
function expectSameAnswer(first: IntegrationEvent, again: IntegrationEvent) {
  expect(again).toMatchObject({ type: first.type, source: first.source, subject: first.subject, data: first.data });
  expect(again.id).not.toBe(first.id);
}

describe('ReserveStockHandler', () => {
  it('reserves every line, records stock-reserved with the order as subject', async () => {
    const t = setup({ TEA: 3, COFFEE: 5 });
    const lines = [
      { sku: 'TEA', quantity: 3 },
      { sku: 'COFFEE', quantity: 1 },
    ];
    expect(await t.reserve(ORDER, lines)).toEqual({ orderId: ORDER, status: 'RESERVED', lines });
    expect(t.stock.rows.get('TEA')).toEqual({ sku: 'TEA', available: 0, reserved: 3 });
    expect(t.stock.rows.get('COFFEE')).toEqual({ sku: 'COFFEE', available: 4, reserved: 1 });
    expect(t.outbox.events).toEqual([
      expect.objectContaining({
        type: 'inventory.stock-reserved.v1',
        source: '/modules/inventory',
        subject: ORDER,
        data: { orderId: ORDER, lines },
      }),
    ]);
  });

  it('takes the order lock before reading or locking anything', async () => {
    const t = setup({ TEA: 3 });
    await t.reserve(ORDER, [{ sku: 'TEA', quantity: 1 }]);
    expect(t.reservations.locks).toEqual([ORDER]);
  });

  it('answers a repeat of a reserved order with stock-reserved again, without touching stock', async () => {
    const t = setup({ TEA: 3 });
    const first = await t.reserve(ORDER, [{ sku: 'TEA', quantity: 2 }]);
    const before = t.state();
    const second = await t.reserve(ORDER, [{ sku: 'TEA', quantity: 2 }]);
    expect(second).toEqual(first);
    expect(t.state()).toEqual(before);
    expect(t.stock.rows.get('TEA')).toMatchObject({ available: 1, reserved: 2 });
    expect(t.stock.locked).toHaveLength(1);
    expect(t.types()).toEqual(['inventory.stock-reserved.v1', 'inventory.stock-reserved.v1']);
    expectSameAnswer(t.outbox.events[0]!, t.outbox.events[1]!);
  });

  it('answers a repeat with other lines with the first decision and its lines', async () => {
    const t = setup({ TEA: 3, COFFEE: 5 });
    const lines = [{ sku: 'TEA', quantity: 2 }];
    await t.reserve(ORDER, lines);
    const before = t.state();
    expect(await t.reserve(ORDER, [{ sku: 'COFFEE', quantity: 5 }])).toEqual({
      orderId: ORDER,
      status: 'RESERVED',
      lines,
    });
    expect(t.state()).toEqual(before);
    expect(t.outbox.events.map((event) => event.data)).toEqual([
      { orderId: ORDER, lines },
      { orderId: ORDER, lines },
    ]);
  });

  it('answers a repeat after the release with stock-released, not the stale reservation', async () => {
    const t = setup({ TEA: 3 });
    await t.reserve(ORDER, [{ sku: 'TEA', quantity: 2 }]);
    await t.release(ORDER);
    const before = t.state();
    expect(await t.reserve(ORDER, [{ sku: 'TEA', quantity: 2 }])).toEqual({ orderId: ORDER, status: 'RELEASED' });
    expect(t.state()).toEqual(before);
    expect(t.stock.rows.get('TEA')).toEqual({ sku: 'TEA', available: 3, reserved: 0 });
    expect(t.types()).toEqual([
      'inventory.stock-reserved.v1',
      'inventory.stock-released.v1',
      'inventory.stock-released.v1',
    ]);
    expectSameAnswer(t.outbox.events[1]!, t.outbox.events[2]!);
  });

  it('rejects all or nothing: OUT_OF_STOCK with the short skus, stock untouched, the rejection again on a repeat', async () => {
    const t = setup({ TEA: 3, COFFEE: 1 });
    const outcome = await t.reserve(ORDER, [
      { sku: 'TEA', quantity: 3 },
      { sku: 'COFFEE', quantity: 2 },
    ]);
    expect(outcome).toEqual({ orderId: ORDER, status: 'REJECTED', reason: 'OUT_OF_STOCK', skus: ['COFFEE'] });
    expect(t.stock.rows.get('TEA')).toMatchObject({ available: 3, reserved: 0 });
    expect(t.outbox.events.map((event) => event.data)).toEqual([
      { orderId: ORDER, reason: 'OUT_OF_STOCK', skus: ['COFFEE'] },
    ]);
    // A repeat, even one that could be served now, gets the first decision and its rejection again.
    const before = t.state();
    expect(await t.reserve(ORDER, [{ sku: 'TEA', quantity: 1 }])).toEqual(outcome);
    expect(t.state()).toEqual(before);
    expect(t.types()).toEqual(['inventory.stock-reservation-rejected.v1', 'inventory.stock-reservation-rejected.v1']);
    expectSameAnswer(t.outbox.events[0]!, t.outbox.events[1]!);
  });

  it('rejects an unknown sku with UNKNOWN_SKU', async () => {
    const t = setup({ TEA: 3 });
    expect(await t.reserve(ORDER, [{ sku: 'NOPE', quantity: 1 }])).toEqual({
      orderId: ORDER,
      status: 'REJECTED',
      reason: 'UNKNOWN_SKU',
      skus: ['NOPE'],
    });
  });

  it('reserves nothing for an order released before, answering stock-released', async () => {
    const t = setup({ TEA: 3 });
    await t.release(ORDER);
    const before = t.state();
    expect(await t.reserve(ORDER, [{ sku: 'TEA', quantity: 1 }])).toEqual({ orderId: ORDER, status: 'RELEASED' });
    expect(await t.reserve(ORDER, [{ sku: 'TEA', quantity: 1 }])).toEqual({ orderId: ORDER, status: 'RELEASED' });
    expect(t.state()).toEqual(before);
    expect(t.stock.rows.get('TEA')).toMatchObject({ available: 3, reserved: 0 });
    expect(t.types()).toEqual([
      'inventory.stock-released.v1',
      'inventory.stock-released.v1',
      'inventory.stock-released.v1',
    ]);
  });
});

describe('ReleaseStockHandler', () => {
  it('returns what a reservation holds once, and answers a repeat with stock-released again', async () => {
    const t = setup({ TEA: 3 });
    await t.reserve(ORDER, [{ sku: 'TEA', quantity: 2 }]);
    expect(await t.release(ORDER)).toEqual({ orderId: ORDER, status: 'RELEASED' });
    expect(t.stock.rows.get('TEA')).toEqual({ sku: 'TEA', available: 3, reserved: 0 });
    const before = t.state();
    expect(await t.release(ORDER)).toEqual({ orderId: ORDER, status: 'RELEASED' });
    expect(t.state()).toEqual(before);
    expect(t.stock.rows.get('TEA')).toEqual({ sku: 'TEA', available: 3, reserved: 0 });
    expect(t.types()).toEqual([
      'inventory.stock-reserved.v1',
      'inventory.stock-released.v1',
      'inventory.stock-released.v1',
    ]);
    expect(t.outbox.events[1]).toMatchObject({ subject: ORDER, data: { orderId: ORDER } });
    expectSameAnswer(t.outbox.events[1]!, t.outbox.events[2]!);
  });

  it('answers the release of a rejected reservation with stock-released, changing nothing', async () => {
    const t = setup({ TEA: 1 });
    const rejected = await t.reserve(ORDER, [{ sku: 'TEA', quantity: 2 }]);
    const before = t.state();
    expect(await t.release(ORDER)).toEqual(rejected);
    expect(await t.release(ORDER)).toEqual(rejected);
    expect(t.state()).toEqual(before);
    expect(t.stock.rows.get('TEA')).toEqual({ sku: 'TEA', available: 1, reserved: 0 });
    expect(t.types()).toEqual([
      'inventory.stock-reservation-rejected.v1',
      'inventory.stock-released.v1',
      'inventory.stock-released.v1',
    ]);
    expect(t.outbox.events[1]).toMatchObject({ subject: ORDER, data: { orderId: ORDER } });
    // It stays rejected: a repeated reserve still gets the rejection.
    expect(await t.reserve(ORDER, [{ sku: 'TEA', quantity: 1 }])).toEqual(rejected);
    expect(t.types().at(-1)).toBe('inventory.stock-reservation-rejected.v1');
  });

  it('leaves a tombstone when no reservation exists yet, stored once and answered each time', async () => {
    const t = setup({});
    expect(await t.release(ORDER)).toEqual({ orderId: ORDER, status: 'RELEASED' });
    const before = t.state();
    expect(await t.release(ORDER)).toEqual({ orderId: ORDER, status: 'RELEASED' });
    expect(t.state()).toEqual(before);
    expect(t.reservations.rows.get(ORDER)).toEqual({ orderId: ORDER, status: 'RELEASED', lines: [], rejection: null });
    expect(t.outbox.events).toEqual([
      expect.objectContaining({ type: 'inventory.stock-released.v1', subject: ORDER, data: { orderId: ORDER } }),
      expect.objectContaining({ type: 'inventory.stock-released.v1', subject: ORDER, data: { orderId: ORDER } }),
    ]);
  });
});
