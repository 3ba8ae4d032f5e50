import type { BusinessRule } from '@platform/ddd';

/**
 * The provider's decisions: once captured or declined, a capture is never asked for again, and its
 * outcome never changes (a refund is not another capture outcome: the capture was made, then undone).
 */
export const FINAL_CAPTURE_STATUSES: readonly string[] = ['CAPTURED', 'DECLINED', 'REFUNDED'];

export class FinalCaptureCannotChange implements BusinessRule {
  readonly name = 'FinalCaptureCannotChange';
  readonly message: string;

  constructor(
    orderId: string,
    private readonly status: string,
  ) {
    this.message = `The capture of order ${orderId} is ${status}: the provider decided, and it is final.`;
  }

  isBroken(): boolean {
    return FINAL_CAPTURE_STATUSES.includes(this.status);
  }
}
