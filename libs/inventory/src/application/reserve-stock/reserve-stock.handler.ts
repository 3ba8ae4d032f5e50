import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { IntegrationEvent } from '@platform/messaging';
import { Reservation, ReservationStatus } from '../../domain/reservation';
import type { Stock } from '../../domain/stock';
import { ReservationRepository, StockRepository } from '../ports';
import { reservationEvent } from '../reservation-events';
import { outcomeOf, type ReservationOutcome } from '../reservation.outcome';
import { EventOutbox, UnitOfWork } from '../transactions';
import { ReserveStockBatchCommand, ReserveStockCommand } from './reserve-stock.command';

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

  async execute(command: ReserveStockCommand): Promise<ReservationOutcome> {
    const [outcome] = await this.reserveAll([{ command }]);
    return outcome!;
  }

  /**
   * The orders of a batch in one unit of work, with one statement per kind of work whatever their
   * number: their locks (in order id order), their earlier reservations, the stock of all their
   * skus (in sku order), the new levels, the new reservations with their events, the answers to
   * repeats. Each order is decided in turn, on the stock its predecessors left; an order twice in
   * the batch is decided once, and its repeat answered with that decision.
   */
  reserveAll(orders: ReserveStockBatchCommand['orders']): Promise<ReservationOutcome[]> {
    return this.unitOfWork.run(async () => {
      const orderIds = [...new Set(orders.map(({ command }) => command.orderId))].sort();
      await this.reservations.lockOrders(orderIds);
      const decided = await this.reservations.findAll(orderIds);
      const skus = orders
        .filter(({ command }) => !decided.has(command.orderId))
        .flatMap(({ command }) => command.lines.map((line) => line.sku));
      const stock = skus.length > 0 ? await this.stock.lockForUpdate(skus) : new Map<string, Stock>();
      const added: Reservation[] = [];
      const addedEvents: IntegrationEvent[] = [];
      const answers: IntegrationEvent[] = [];
      const changedSkus = new Set<string>();
      const outcomes = orders.map(({ command: { orderId, lines }, within = (work) => work() }) =>
        within(() => {
          const earlier = decided.get(orderId);
          if (earlier) {
            answers.push(reservationEvent(earlier));
            return outcomeOf(earlier);
          }
          const reservation = Reservation.reserve(orderId, lines, stock);
          if (reservation.status === ReservationStatus.Reserved) {
            lines.forEach((line) => changedSkus.add(line.sku));
          }
          decided.set(orderId, reservation);
          added.push(reservation);
          addedEvents.push(reservationEvent(reservation));
          return outcomeOf(reservation);
        }),
      );
      if (changedSkus.size > 0) {
        await this.stock.save([...changedSkus].map((sku) => stock.get(sku)!));
      }
      if (added.length > 0) {
        await this.reservations.addAll(added, addedEvents);
      }
      if (answers.length > 0) {
        await this.outbox.record(answers);
      }
      return outcomes;
    });
  }
}

/** ReserveStock for a batch of orders (the inbox's batches): see ReserveStockHandler.reserveAll. */
@CommandHandler(ReserveStockBatchCommand)
export class ReserveStockBatchHandler implements ICommandHandler<ReserveStockBatchCommand> {
  constructor(@Inject(ReserveStockHandler) private readonly single: ReserveStockHandler) {}

  execute({ orders }: ReserveStockBatchCommand): Promise<ReservationOutcome[]> {
    return this.single.reserveAll(orders);
  }
}
