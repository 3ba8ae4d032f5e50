import { CaptureCustomerMustBeGiven, MAX_CUSTOMER_ID_LENGTH } from './capture-customer-must-be-given.rule';

describe('CaptureCustomerMustBeGiven', () => {
  it.each(['customer-1', 'decline-me', 'x'.repeat(MAX_CUSTOMER_ID_LENGTH)])('holds for %j', (customerId) => {
    expect(new CaptureCustomerMustBeGiven(customerId).isBroken()).toBe(false);
  });
  it.each(['', '   ', 'x'.repeat(MAX_CUSTOMER_ID_LENGTH + 1)])('is broken by %j', (customerId) => {
    expect(new CaptureCustomerMustBeGiven(customerId).isBroken()).toBe(true);
  });
});
