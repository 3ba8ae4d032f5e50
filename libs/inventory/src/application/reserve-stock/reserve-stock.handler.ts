import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Reservation, ReservationStatus } from '../../domain/reservation';
import { ReservationRepository, StockRepository } from '../ports';
import { reservationEvent } from '../reservation-events';
import { outcomeOf, type ReservationOutcome } from '../reservation.outcome';
import { EventOutbox, UnitOfWork } from '../transactions';
import { ReserveStockCommand } from './reserve-stock.command';

/**
 * Reserves an order's stock in one unit of work: the order's lock, then the stock of its skus
 * locked in sku order, the all-or-nothing decision, the new stock levels, the reservation and its
 * event (reserved or rejected). Racing orders queue on the rows of the skus they share, and each
 * decides on the stock its predecessor left: exactly as many win as there are units.
 *
 * Idempotent in its effects, answered every time: an order that already has a reservation keeps
 * it (no stock is locked or changed, nothing is written but the answer), and its current state is
 * recorded again in the outbox, in the same unit of work, as a new event: RESERVED ->
 * `inventory.stock-reserved.v1`, REJECTED -> `inventory.stock-reservation-rejected.v1`, RELEASED
 * (released since, or released before it was reserved: a tombstone) ->
 * `inventory.stock-released.v1`. The saga re-sends a command it got no answer to (the answer may
 * have been lost with the process that held the in-process broker), so a repeat must be answered;
 * the lines of the repeat are ignored, the event carries those of the first decision. Answering
 * with the current state, not the first decision, means a late repeat never announces a
 * reservation that was released since.
 */
@CommandHandler(ReserveStockCommand)
export class ReserveStockHandler implements ICommandHandler<ReserveStockCommand> {
  constructor(
    @Inject(StockRepository) private readonly stock: StockRepository,
    @Inject(ReservationRepository) private readonly reservations: ReservationRepository,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(EventOutbox) private readonly outbox: EventOutbox,
  ) {}

  execute({ orderId, lines }: ReserveStockCommand): Promise<ReservationOutcome> {
    return this.unitOfWork.run(async () => {
      await this.reservations.lockOrder(orderId);
      const earlier = await this.reservations.find(orderId);
      if (earlier) {
        await this.outbox.record([reservationEvent(earlier)]);
        return outcomeOf(earlier);
      }
      const stock = await this.stock.lockForUpdate(lines.map((line) => line.sku));
      const reservation = Reservation.reserve(orderId, lines, stock);
      if (reservation.status === ReservationStatus.Reserved) {
        await this.stock.save(lines.map((line) => stock.get(line.sku)!));
      }
      await this.reservations.add(reservation, [reservationEvent(reservation)]);
      return outcomeOf(reservation);
    });
  }
}
