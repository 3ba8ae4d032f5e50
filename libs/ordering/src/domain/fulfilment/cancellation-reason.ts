/** Why an order was cancelled, as `GET /orders/:id` shows it in `cancellationReason`. */
export const CancellationReasons = {
  /** Inventory could not hold every line (short of stock, or a sku it does not stock). */
  OutOfStock: 'OUT_OF_STOCK',
  /** The payment provider refused to charge the customer. */
  PaymentDeclined: 'PAYMENT_DECLINED',
  /** The provider rejected the capture request itself; asking again would not help. */
  PaymentFailed: 'PAYMENT_FAILED',
  /** No capture before the payment deadline (the provider down or too slow): the stock is released. */
  PaymentTimeout: 'PAYMENT_TIMEOUT',
  /** No reservation decision before the reservation deadline (inventory not answering). */
  ReservationTimeout: 'RESERVATION_TIMEOUT',
} as const;
export type CancellationReason = (typeof CancellationReasons)[keyof typeof CancellationReasons];
