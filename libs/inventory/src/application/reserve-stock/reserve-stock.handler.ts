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
 * Idempotent: an order that already has a reservation gets its decision back, and nothing is
 * written or published again. An order released before it was reserved (a tombstone) reserves
 * nothing and is reported RELEASED.
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
        return outcomeOf(earlier);
      }
      const stock = await this.stock.lockForUpdate(lines.map((line) => line.sku));
      const reservation = Reservation.reserve(orderId, lines, stock);
      if (reservation.status === ReservationStatus.Reserved) {
        await this.stock.save(lines.map((line) => stock.get(line.sku)!));
      }
      await this.reservations.add(reservation);
      await this.outbox.record([reservationEvent(reservation)]);
      return outcomeOf(reservation);
    });
  }
}
