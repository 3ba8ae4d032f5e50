import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Reservation } from '../../domain/reservation';
import { ReservationRepository, StockRepository } from '../ports';
import { stockReleasedEvent } from '../reservation-events';
import { outcomeOf, type ReservationOutcome } from '../reservation.outcome';
import { EventOutbox, UnitOfWork } from '../transactions';
import { ReleaseStockCommand } from './release-stock.command';

/**
 * Releases an order's stock in one unit of work, under the order's lock, and always answers with
 * `inventory.stock-released.v1`, recorded in the outbox in that unit of work:
 * - RESERVED: the stock of its skus, locked in sku order, gets the quantities back; RELEASED;
 * - already RELEASED (a repeat): no stock change, the answer is recorded again;
 * - REJECTED: it never held anything, so no stock change and it stays REJECTED (a repeated
 *   reserve is still answered with the rejection); the answer is recorded all the same. The saga
 *   does not release a rejection it received, but one whose answer it never got can reach its
 *   deadline and send a release: stock-released tells it the order holds nothing, and it finishes;
 * - no reservation yet (the release overtook its reserve): a RELEASED tombstone is stored, so the
 *   reserve, when it comes, holds nothing.
 * The stock moves at most once per order: only a RESERVED reservation gives units back.
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
      await this.reservations.lockOrders([orderId]);
      const reservation = (await this.reservations.findAll([orderId])).get(orderId);
      if (!reservation) {
        const tombstone = Reservation.tombstone(orderId);
        await this.reservations.addAll([tombstone], [stockReleasedEvent(orderId)]);
        return outcomeOf(tombstone);
      }
      if (reservation.holdsStock) {
        const skus = reservation.heldSkus;
        const stock = await this.stock.lockForUpdate(skus);
        reservation.release(stock);
        await this.stock.save(skus.map((sku) => stock.get(sku)!));
        await this.reservations.saveStatus(reservation);
      }
      await this.outbox.record([stockReleasedEvent(orderId)]);
      return outcomeOf(reservation);
    });
  }
}
