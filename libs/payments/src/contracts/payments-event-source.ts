/** The CloudEvents `source` of every event payments publishes. */
export const PAYMENTS_EVENT_SOURCE = '/modules/payments';
