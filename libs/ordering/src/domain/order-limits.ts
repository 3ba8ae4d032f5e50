/** The limits an order must stay within; the HTTP contract documents the same numbers. */
export const OrderLimits = {
  maxLines: 50,
  minQuantity: 1,
  maxQuantity: 1000,
} as const;
