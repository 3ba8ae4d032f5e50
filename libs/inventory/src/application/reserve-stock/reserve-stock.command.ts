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
