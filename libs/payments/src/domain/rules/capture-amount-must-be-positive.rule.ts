import type { BusinessRule } from '@platform/ddd';

export class CaptureAmountMustBePositive implements BusinessRule {
  readonly name = 'CaptureAmountMustBePositive';
  readonly message = 'A capture is a whole, positive number of minor units (cents for EUR), within the safe range.';

  constructor(private readonly amountMinor: number) {}

  isBroken(): boolean {
    return !Number.isSafeInteger(this.amountMinor) || this.amountMinor <= 0;
  }
}
