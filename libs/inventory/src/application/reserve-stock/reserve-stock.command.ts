import { Command } from '@nestjs/cqrs';
import type { ReservationLine } from '../../domain/reservation';
import type { ReservationOutcome } from '../reservation.outcome';

/** Hold stock for an order: every line or none. Idempotent per order; a repeat is answered again. */
export class ReserveStockCommand extends Command<ReservationOutcome> {
  constructor(
    readonly orderId: string,
    readonly lines: readonly ReservationLine[],
  ) {
    super();
  }
}

/**
 * ReserveStock for several orders at once, in one unit of work, each decided in turn on the stock
 * its predecessors left. `within` runs an order's decision where its command was received (the
 * trace of that message), so its answer continues that trace.
 */
export class ReserveStockBatchCommand extends Command<ReservationOutcome[]> {
  constructor(readonly orders: readonly { command: ReserveStockCommand; within?: <T>(work: () => T) => T }[]) {
    super();
  }
}
