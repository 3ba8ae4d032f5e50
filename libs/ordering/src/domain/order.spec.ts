import { BusinessRuleViolation } from '@platform/ddd';
import { Order, OrderStatus, type PlaceOrder } from './order';

const prices = new Map([
  ['TEA', { priceMinor: 850, currency: 'EUR' }],
  ['CUP', { priceMinor: 1299, currency: 'EUR' }],
  ['KONA', { priceMinor: 4900, currency: 'USD' }],
]);

const placing = (lines: PlaceOrder['lines']): PlaceOrder => ({
  id: '018f0000-0000-7000-8000-000000000001',
  customerId: 'customer-1',
  lines,
  prices,
  placedAt: new Date('2026-11-22T10:00:00Z'),
});

const brokenRule = (place: () => unknown): string => {
  try {
    place();
  } catch (error) {
    if (error instanceof BusinessRuleViolation) {
      return error.rule;
    }
    throw error;
  }
  throw new Error('no rule was broken');
};

describe('Order.place', () => {
  it('places a pending order priced from the catalog, total in minor units', () => {
    const order = Order.place(
      placing([
        { sku: 'TEA', quantity: 3 },
        { sku: 'CUP', quantity: 2 },
      ]),
    );
    expect(order.snapshot()).toEqual({
      id: '018f0000-0000-7000-8000-000000000001',
      customerId: 'customer-1',
      status: OrderStatus.Pending,
      lines: [
        { lineNo: 1, sku: 'TEA', quantity: 3, unitPriceMinor: 850 },
        { lineNo: 2, sku: 'CUP', quantity: 2, unitPriceMinor: 1299 },
      ],
      currency: 'EUR',
      totalMinor: 3 * 850 + 2 * 1299,
      placedAt: new Date('2026-11-22T10:00:00Z'),
      cancellationReason: null,
    });
  });

  it.each([
    ['no lines', [], 'OrderMustHaveAtLeastOneLine'],
    ['51 lines', Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })), 'OrderMustNotExceedMaxLines'],
    [
      'a repeated sku',
      [
        { sku: 'TEA', quantity: 1 },
        { sku: 'TEA', quantity: 2 },
      ],
      'OrderLinesMustHaveDistinctSkus',
    ],
    ['a zero quantity', [{ sku: 'TEA', quantity: 0 }], 'QuantityMustBeWithinLimits'],
    ['a fractional quantity', [{ sku: 'TEA', quantity: 1.5 }], 'QuantityMustBeWithinLimits'],
    ['an unknown sku', [{ sku: 'NOPE', quantity: 1 }], 'OrderedProductMustExist'],
    [
      'two currencies',
      [
        { sku: 'TEA', quantity: 1 },
        { sku: 'KONA', quantity: 1 },
      ],
      'OrderMustBeInOneCurrency',
    ],
  ])('refuses %s', (_case, lines, rule) => {
    expect(brokenRule(() => Order.place(placing(lines)))).toBe(rule);
  });

  it('keeps the largest possible order within safe integers', () => {
    const maxPrices = new Map(
      Array.from({ length: 50 }, (_, i) => [`S${i}`, { priceMinor: 100_000_000, currency: 'EUR' }]),
    );
    const order = Order.place({
      ...placing(Array.from({ length: 50 }, (_, i) => ({ sku: `S${i}`, quantity: 1000 }))),
      prices: maxPrices,
    });
    expect(Number.isSafeInteger(order.snapshot().totalMinor)).toBe(true);
  });
});
