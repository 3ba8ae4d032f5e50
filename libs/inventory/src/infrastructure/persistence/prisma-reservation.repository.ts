import { Injectable } from '@nestjs/common';
import type { IntegrationEvent } from '@platform/messaging';
import { outboxInsertParams, outboxInsertSql, recordingEvents } from '@platform/outbox';
import { ReservationRepository } from '../../application/ports';
import { type RejectionReason, Reservation, type ReservationStatus } from '../../domain/reservation';
import { InjectInventoryTransactionHost, type InventoryTransactionHost } from './inventory-transactions';

/**
 * The reservation, its lines and its events in one statement: one round trip where Prisma's nested
 * create takes three (the reservation, its lines, and a read of what it created) and the outbox a
 * fourth.
 */
const ADD = `
WITH reservation AS (
  INSERT INTO "inventory"."reservations" (order_id, status, rejection_reason, rejected_skus)
  VALUES ($1::uuid, $2, $3, $4::varchar[])
  RETURNING order_id
), lines AS (
  INSERT INTO "inventory"."reservation_lines" (order_id, line_no, sku, quantity)
  SELECT reservation.order_id, line.line_no, line.sku, line.quantity
  FROM reservation, unnest($5::varchar[], $6::int[]) WITH ORDINALITY AS line(sku, quantity, line_no)
), messages AS (${outboxInsertSql('inventory', 7)})
SELECT 1`;

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

  async add(reservation: Reservation, events: readonly IntegrationEvent[]): Promise<void> {
    const { orderId, status, lines, rejection } = reservation.snapshot();
    await recordingEvents('inventory', events, () =>
      this.prisma.$queryRawUnsafe(
        ADD,
        orderId,
        status,
        rejection?.reason ?? null,
        rejection?.skus ?? [],
        lines.map((line) => line.sku),
        lines.map((line) => line.quantity),
        ...outboxInsertParams(events),
      ),
    );
  }

  async saveStatus(reservation: Reservation): Promise<void> {
    await this.prisma.reservation.update({
      where: { orderId: reservation.orderId },
      data: { status: reservation.status, updatedAt: new Date() },
    });
  }
}
