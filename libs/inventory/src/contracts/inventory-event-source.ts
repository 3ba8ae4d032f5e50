/** The CloudEvents `source` of every event inventory publishes. */
export const INVENTORY_EVENT_SOURCE = '/modules/inventory';
