import { Reservation } from './reservation';
import { Stock } from './stock';

const stockOf = (levels: Record<string, number>) =>
  new Map(Object.entries(levels).map(([sku, available]) => [sku, Stock.restore({ sku, available, reserved: 0 })]));
const levels = (stock: Map<string, Stock>) => Object.fromEntries([...stock].map(([sku, s]) => [sku, s.snapshot()]));

const ORDER = '0194a8a0-0000-7000-8000-000000000001';

describe('Reservation', () => {
  describe('reserve: all or nothing', () => {
    it('holds every line when every sku has enough', () => {
      const stock = stockOf({ TEA: 3, COFFEE: 1 });
      const reservation = Reservation.reserve(
        ORDER,
        [
          { sku: 'TEA', quantity: 3 },
          { sku: 'COFFEE', quantity: 1 },
        ],
        stock,
      );
      expect(reservation.snapshot()).toEqual({
        orderId: ORDER,
        status: 'RESERVED',
        lines: [
          { sku: 'TEA', quantity: 3 },
          { sku: 'COFFEE', quantity: 1 },
        ],
        rejection: null,
      });
      expect(levels(stock)).toEqual({
        TEA: { sku: 'TEA', available: 0, reserved: 3 },
        COFFEE: { sku: 'COFFEE', available: 0, reserved: 1 },
      });
    });

    it('holds nothing when one line is short, and names the skus that were short', () => {
      const stock = stockOf({ TEA: 3, COFFEE: 1, CUP: 0 });
      const reservation = Reservation.reserve(
        ORDER,
        [
          { sku: 'TEA', quantity: 2 },
          { sku: 'COFFEE', quantity: 2 },
          { sku: 'CUP', quantity: 1 },
        ],
        stock,
      );
      expect(reservation.status).toBe('REJECTED');
      expect(reservation.snapshot().rejection).toEqual({ reason: 'OUT_OF_STOCK', skus: ['COFFEE', 'CUP'] });
      expect(levels(stock)).toEqual(levels(stockOf({ TEA: 3, COFFEE: 1, CUP: 0 })));
    });

    it('rejects an unknown sku rather than failing, holding nothing', () => {
      const stock = stockOf({ TEA: 3 });
      const reservation = Reservation.reserve(
        ORDER,
        [
          { sku: 'TEA', quantity: 1 },
          { sku: 'NOPE', quantity: 1 },
        ],
        stock,
      );
      expect(reservation.snapshot()).toMatchObject({
        status: 'REJECTED',
        rejection: { reason: 'UNKNOWN_SKU', skus: ['NOPE'] },
      });
      expect(stock.get('TEA')!.snapshot()).toMatchObject({ available: 3, reserved: 0 });
    });

    it.each<[string, { sku: string; quantity: number }[], string]>([
      ['no line', [], 'ReservationMustHaveAtLeastOneLine'],
      [
        'a sku twice',
        [
          { sku: 'TEA', quantity: 1 },
          { sku: 'TEA', quantity: 1 },
        ],
        'ReservationLinesMustHaveDistinctSkus',
      ],
      ['a quantity of zero', [{ sku: 'TEA', quantity: 0 }], 'ReservedQuantityMustBeWithinLimits'],
    ])('refuses %s', (_case, lines, rule) => {
      const stock = stockOf({ TEA: 3 });
      expect(() => Reservation.reserve(ORDER, lines, stock)).toThrow(expect.objectContaining({ rule }));
      expect(stock.get('TEA')!.snapshot()).toMatchObject({ available: 3, reserved: 0 });
    });
  });

  describe('release', () => {
    it('returns what a RESERVED reservation holds and becomes RELEASED', () => {
      const stock = stockOf({ TEA: 3, COFFEE: 1 });
      const lines = [
        { sku: 'TEA', quantity: 2 },
        { sku: 'COFFEE', quantity: 1 },
      ];
      const reservation = Reservation.reserve(ORDER, lines, stock);
      expect(reservation.heldSkus).toEqual(['TEA', 'COFFEE']);
      expect(reservation.release(stock)).toBe(true);
      expect(reservation.status).toBe('RELEASED');
      expect(levels(stock)).toEqual(levels(stockOf({ TEA: 3, COFFEE: 1 })));
    });

    it('changes nothing the second time', () => {
      const stock = stockOf({ TEA: 3 });
      const reservation = Reservation.reserve(ORDER, [{ sku: 'TEA', quantity: 2 }], stock);
      reservation.release(stock);
      expect(reservation.holdsStock).toBe(false);
      expect(reservation.heldSkus).toEqual([]);
      expect(reservation.release(stock)).toBe(false);
      expect(stock.get('TEA')!.snapshot()).toMatchObject({ available: 3, reserved: 0 });
    });

    it('changes nothing for a REJECTED reservation', () => {
      const stock = stockOf({ TEA: 1 });
      const reservation = Reservation.reserve(ORDER, [{ sku: 'TEA', quantity: 2 }], stock);
      expect(reservation.holdsStock).toBe(false);
      expect(reservation.release(stock)).toBe(false);
      expect(reservation.status).toBe('REJECTED');
      expect(stock.get('TEA')!.snapshot()).toMatchObject({ available: 1, reserved: 0 });
    });

    it('refuses to release without the stock it holds', () => {
      const stock = stockOf({ TEA: 3 });
      const reservation = Reservation.reserve(ORDER, [{ sku: 'TEA', quantity: 2 }], stock);
      expect(() => reservation.release(new Map())).toThrow('was not given to release');
      expect(reservation.status).toBe('RESERVED');
    });
  });

  describe('tombstone: a release that came before the reserve', () => {
    it('is RELEASED, holds nothing and releases nothing', () => {
      const tombstone = Reservation.tombstone(ORDER);
      expect(tombstone.snapshot()).toEqual({ orderId: ORDER, status: 'RELEASED', lines: [], rejection: null });
      expect(tombstone.holdsStock).toBe(false);
      expect(tombstone.release(new Map())).toBe(false);
    });
  });

  it('hands out copies: its snapshot cannot change it', () => {
    const reservation = Reservation.reserve(ORDER, [{ sku: 'TEA', quantity: 1 }], stockOf({ TEA: 1 }));
    (reservation.snapshot().lines as { quantity: number }[])[0]!.quantity = 99;
    expect(reservation.snapshot().lines[0]!.quantity).toBe(1);
  });
});
