import { parsePayload } from '@platform/messaging';
import { ReleaseStockV1 } from './release-stock.v1';
import { ReserveStockV1 } from './reserve-stock.v1';
import { StockReleasedV1 } from './stock-released.v1';
import { StockReservationRejectedV1 } from './stock-reservation-rejected.v1';
import { StockReservedV1 } from './stock-reserved.v1';

const orderId = '0194a8a0-0000-7000-8000-000000000001';

describe('inventory contracts', () => {
  it('name commands and events <module>.<name>.v<version>', () => {
    expect(
      [ReserveStockV1, ReleaseStockV1, StockReservedV1, StockReservationRejectedV1, StockReleasedV1].map((c) => c.type),
    ).toEqual([
      'inventory.reserve-stock.v1',
      'inventory.release-stock.v1',
      'inventory.stock-reserved.v1',
      'inventory.stock-reservation-rejected.v1',
      'inventory.stock-released.v1',
    ]);
  });

  it('accept a well-formed reserve-stock command', () => {
    const command = { orderId, lines: [{ sku: 'TEA', quantity: 2 }] };
    expect(parsePayload(ReserveStockV1, command)).toEqual(command);
  });

  it.each<[string, unknown]>([
    ['no line', { orderId, lines: [] }],
    [
      'a sku twice',
      {
        orderId,
        lines: [
          { sku: 'TEA', quantity: 1 },
          { sku: 'TEA', quantity: 1 },
        ],
      },
    ],
    ['a quantity of zero', { orderId, lines: [{ sku: 'TEA', quantity: 0 }] }],
    ['an order id that is not a UUID', { orderId: 'o-1', lines: [{ sku: 'TEA', quantity: 1 }] }],
    ['a sku longer than 64 characters', { orderId, lines: [{ sku: 'x'.repeat(65), quantity: 1 }] }],
  ])('refuse a reserve-stock command with %s', (_case, command) => {
    expect(() => parsePayload(ReserveStockV1, command)).toThrow('does not match its contract');
  });

  it('refuse a rejection without a known reason or without skus', () => {
    expect(() => parsePayload(StockReservationRejectedV1, { orderId, reason: 'BROKEN', skus: ['TEA'] })).toThrow();
    expect(() => parsePayload(StockReservationRejectedV1, { orderId, reason: 'OUT_OF_STOCK', skus: [] })).toThrow();
  });
});
