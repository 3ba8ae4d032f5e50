import type { IntegrationEvent } from '@platform/messaging';
import type { Capture } from '../domain/capture';

/** The captures of payments, one per order. Writes happen inside the unit of work (see transactions.ts). */
export abstract class CaptureRepository {
  /**
   * Adds the capture unless its order has one already (INSERT ... ON CONFLICT DO NOTHING), in one
   * statement of its own: true when it was added. The first command of an order creates it, later
   * and concurrent ones find it.
   */
  abstract addIfAbsent(capture: Capture): Promise<boolean>;
  /**
   * The order's capture, its row locked until the unit of work ends: the commands of one order count
   * their attempts one after the other. Held for a few statements only, never across the provider call.
   */
  abstract lock(orderId: string): Promise<Capture | null>;
  abstract find(orderId: string): Promise<Capture | null>;
  /** Saves the attempt count of a capture found with `lock`. */
  abstract saveAttempts(capture: Capture): Promise<void>;
  /**
   * Saves the outcome recorded on `capture`, with `events` in payments' outbox, in one statement of
   * its own (atomic without a unit of work), if the stored capture is still the one loaded (its
   * version is `loadedVersion`, its status not final); false when another handler of the order
   * recorded an outcome meanwhile, and nothing was written, events included.
   */
  abstract saveOutcome(capture: Capture, loadedVersion: number, events: readonly IntegrationEvent[]): Promise<boolean>;
  /** Saves the refund attempt count of a capture found with `lock`. */
  abstract saveRefundAttempts(capture: Capture): Promise<void>;
  /**
   * Saves the refund outcome recorded on `capture` (refunded, or a failure) if the stored capture is
   * still the one loaded (its version is `loadedVersion`, its status CAPTURED); false when another
   * handler of the order recorded a refund outcome meanwhile, and nothing was written.
   */
  abstract saveRefundOutcome(capture: Capture, loadedVersion: number): Promise<boolean>;
}
