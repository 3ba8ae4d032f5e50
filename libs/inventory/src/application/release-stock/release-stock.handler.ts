import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Reservation } from '../../domain/reservation';
import { ReservationRepository, StockRepository } from '../ports';
import { reservationEvent } from '../reservation-events';
import { outcomeOf, type ReservationOutcome } from '../reservation.outcome';
import { EventOutbox, UnitOfWork } from '../transactions';
import { ReleaseStockCommand } from './release-stock.command';

/**
 * Releases an order's stock in one unit of work, under the order's lock:
 * - RESERVED: the stock of its skus, locked in sku order, gets the quantities back; RELEASED;
 *   `inventory.stock-released.v1` is recorded;
 * - already RELEASED, or REJECTED (it never held anything): nothing changes, nothing is recorded;
 * - no reservation yet (the release overtook its reserve): a RELEASED tombstone is stored and
 *   `inventory.stock-released.v1` recorded, so the reserve, when it comes, holds nothing.
 */
@CommandHandler(ReleaseStockCommand)
export class ReleaseStockHandler implements ICommandHandler<ReleaseStockCommand> {
  constructor(
    @Inject(StockRepository) private readonly stock: StockRepository,
    @Inject(ReservationRepository) private readonly reservations: ReservationRepository,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(EventOutbox) private readonly outbox: EventOutbox,
  ) {}

  execute({ orderId }: ReleaseStockCommand): Promise<ReservationOutcome> {
    return this.unitOfWork.run(async () => {
      await this.reservations.lockOrder(orderId);
      const reservation = await this.reservations.find(orderId);
      if (!reservation) {
        const tombstone = Reservation.tombstone(orderId);
        await this.reservations.add(tombstone);
        await this.outbox.record([reservationEvent(tombstone)]);
        return outcomeOf(tombstone);
      }
      if (reservation.holdsStock) {
        const skus = reservation.heldSkus;
        const stock = await this.stock.lockForUpdate(skus);
        reservation.release(stock);
        await this.stock.save(skus.map((sku) => stock.get(sku)!));
        await this.reservations.saveStatus(reservation);
        await this.outbox.record([reservationEvent(reservation)]);
      }
      return outcomeOf(reservation);
    });
  }
}
