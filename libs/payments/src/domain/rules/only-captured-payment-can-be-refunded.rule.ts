import type { BusinessRule } from '@platform/ddd';

/**
 * A refund gives back what the provider charged: a capture not yet decided, failed or declined
 * charged nothing, and a refunded one was given back already (in full: there is one refund per
 * capture). `status` is null when the order has no capture at all.
 */
export class OnlyCapturedPaymentCanBeRefunded implements BusinessRule {
  readonly name = 'OnlyCapturedPaymentCanBeRefunded';
  readonly message: string;

  constructor(
    orderId: string,
    private readonly status: string | null,
  ) {
    this.message =
      status === null
        ? `Order ${orderId} has no capture: nothing was charged, so nothing can be refunded.`
        : `The capture of order ${orderId} is ${status}: only a CAPTURED payment can be refunded.`;
  }

  isBroken(): boolean {
    return this.status !== 'CAPTURED';
  }
}
