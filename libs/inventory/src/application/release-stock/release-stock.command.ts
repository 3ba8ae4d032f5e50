import { Command } from '@nestjs/cqrs';
import type { ReservationOutcome } from '../reservation.outcome';

/** Give back what an order holds (the saga's compensation). Idempotent; every release is answered. */
export class ReleaseStockCommand extends Command<ReservationOutcome> {
  constructor(readonly orderId: string) {
    super();
  }
}
