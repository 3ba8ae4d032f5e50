import type { BusinessRule } from '@platform/ddd';

/** What a capture asks the provider for: the same for every command of one order. */
export interface CaptureTerms {
  customerId: string;
  amountMinor: number;
  currency: string;
}

/**
 * The idempotency key is derived from the order, so the provider would refuse (or, worse, answer
 * with the first result) a second request of the order with other terms: a repeat must ask for
 * exactly what the first command asked for.
 */
export class RepeatedCaptureMustMatchFirst implements BusinessRule {
  readonly name = 'RepeatedCaptureMustMatchFirst';
  readonly message: string;

  constructor(
    orderId: string,
    private readonly first: CaptureTerms,
    private readonly repeat: CaptureTerms,
  ) {
    this.message =
      `Order ${orderId} was first asked to be captured as ${describe(first)}; ` +
      `a repeat asks for ${describe(repeat)}. Every capture command of an order carries the same terms.`;
  }

  isBroken(): boolean {
    return (
      this.first.customerId !== this.repeat.customerId ||
      this.first.amountMinor !== this.repeat.amountMinor ||
      this.first.currency !== this.repeat.currency
    );
  }
}

function describe({ customerId, amountMinor, currency }: CaptureTerms): string {
  return `${amountMinor} ${currency} from customer '${customerId}'`;
}
