import type { BusinessRule } from '@platform/ddd';

export const MAX_CUSTOMER_ID_LENGTH = 255;

export class CaptureCustomerMustBeGiven implements BusinessRule {
  readonly name = 'CaptureCustomerMustBeGiven';
  readonly message = `A capture names the customer charged: an id of 1 to ${MAX_CUSTOMER_ID_LENGTH} characters, not blank.`;

  constructor(private readonly customerId: string) {}

  isBroken(): boolean {
    return this.customerId.trim().length === 0 || this.customerId.length > MAX_CUSTOMER_ID_LENGTH;
  }
}
