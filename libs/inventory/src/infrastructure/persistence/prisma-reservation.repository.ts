import { Injectable } from '@nestjs/common';
import { ReservationRepository } from '../../application/ports';
import { type RejectionReason, Reservation, type ReservationStatus } from '../../domain/reservation';
import { InjectInventoryTransactionHost, type InventoryTransactionHost } from './inventory-transactions';

/** Reads and writes through the transaction in async context, or the plain client outside one. */
@Injectable()
export class PrismaReservationRepository extends ReservationRepository {
  constructor(@InjectInventoryTransactionHost() private readonly host: InventoryTransactionHost) {
    super();
  }

  private get prisma() {
    return this.host.tx;
  }

  /*
   * A transaction-scoped advisory lock keyed by the order: released by the commit or rollback,
   * never left behind. A row lock cannot serve here, as the reservation row may not exist yet.
   * Taken before any stock row, so the lock order is always: order, then skus in sku order.
   */
  async lockOrder(orderId: string): Promise<void> {
    const key = `inventory.reservation:${orderId}`;
    await this.prisma.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${key}::text, 0))`;
  }

  async find(orderId: string): Promise<Reservation | null> {
    const row = await this.prisma.reservation.findUnique({
      where: { orderId },
      include: { lines: { orderBy: { lineNo: 'asc' } } },
    });
    if (!row) {
      return null;
    }
    return Reservation.restore({
      orderId: row.orderId,
      status: row.status as ReservationStatus,
      lines: row.lines.map(({ sku, quantity }) => ({ sku, quantity })),
      rejection: row.rejectionReason
        ? { reason: row.rejectionReason as RejectionReason, skus: row.rejectedSkus }
        : null,
    });
  }

  async add(reservation: Reservation): Promise<void> {
    const { orderId, status, lines, rejection } = reservation.snapshot();
    await this.prisma.reservation.create({
      data: {
        orderId,
        status,
        rejectionReason: rejection?.reason ?? null,
        rejectedSkus: rejection?.skus ?? [],
        lines: { create: lines.map((line, index) => ({ lineNo: index + 1, ...line })) },
      },
    });
  }

  async saveStatus(reservation: Reservation): Promise<void> {
    await this.prisma.reservation.update({
      where: { orderId: reservation.orderId },
      data: { status: reservation.status, updatedAt: new Date() },
    });
  }
}
