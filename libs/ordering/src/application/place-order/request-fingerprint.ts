import { createHash } from 'node:crypto';
import type { RequestedLine } from '../../domain/order';

/**
 * Identifies "the same request" for idempotency: the customer and the lines, in order. Built from
 * the validated command rather than raw bytes, so formatting and key order do not matter.
 */
export function requestFingerprint(customerId: string, items: readonly RequestedLine[]): string {
  const canonical = JSON.stringify([customerId, items.map((item) => [item.sku, item.quantity])]);
  return createHash('sha256').update(canonical).digest('hex');
}
