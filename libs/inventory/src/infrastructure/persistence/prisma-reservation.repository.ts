import { Injectable } from '@nestjs/common';
import type { IntegrationEvent } from '@platform/messaging';
import { outboxInsertParams, outboxInsertSql, recordingEvents } from '@platform/outbox';
import { ReservationRepository } from '../../application/ports';
import { type RejectionReason, Reservation, type ReservationStatus } from '../../domain/reservation';
import { InjectInventoryTransactionHost, type InventoryTransactionHost } from './inventory-transactions';

/**
 * The reservations, their lines and their events in one statement: one round trip where Prisma's
 * nested create takes three per reservation (the reservation, its lines, and a read of what it
 * created) and the outbox a fourth. Rejected skus travel as JSON: an array of arrays of different
 * lengths is not a PostgreSQL array.
 */
const ADD_ALL = `
WITH reservations AS (
  INSERT INTO "inventory"."reservations" (order_id, status, rejection_reason, rejected_skus)
  SELECT r.order_id, r.status, r.rejection_reason, ARRAY(SELECT jsonb_array_elements_text(r.rejected_skus))::varchar[]
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) AS r(order_id, status, rejection_reason, rejected_skus)
  RETURNING order_id
), lines AS (
  INSERT INTO "inventory"."reservation_lines" (order_id, line_no, sku, quantity)
  SELECT line.order_id, line.line_no, line.sku, line.quantity
  FROM unnest($5::uuid[], $6::int[], $7::varchar[], $8::int[]) AS line(order_id, line_no, sku, quantity)
  WHERE line.order_id IN (SELECT order_id FROM reservations)
), messages AS (${outboxInsertSql('inventory', 9)})
SELECT 1`;

const FIND_ALL = `
SELECT r.order_id::text AS order_id, r.status, r.rejection_reason, r.rejected_skus,
       coalesce((SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity) ORDER BY l.line_no)
                 FROM "inventory"."reservation_lines" l WHERE l.order_id = r.order_id), '[]') AS lines
FROM "inventory"."reservations" r
WHERE r.order_id = ANY($1::uuid[])`;

type ReservationRow = {
  order_id: string;
  status: ReservationStatus;
  rejection_reason: RejectionReason | null;
  rejected_skus: string[];
  lines: { sku: string; quantity: number }[];
};

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
   * Transaction-scoped advisory locks keyed by the order: released by the commit or rollback,
   * never left behind. A row lock cannot serve here, as the reservation row may not exist yet.
   * Taken before any stock row, so the lock order is always: orders in id order, then skus in sku
   * order. The ordered subquery makes the locks be taken in that order.
   */
  async lockOrders(orderIds: readonly string[]): Promise<void> {
    await this.prisma.$queryRawUnsafe(
      `SELECT count(pg_advisory_xact_lock(hashtextextended('inventory.reservation:' || ordered.id, 0)))::int AS locked
       FROM (SELECT id FROM unnest($1::text[]) AS id ORDER BY id) AS ordered`,
      [...orderIds].sort(),
    );
  }

  async findAll(orderIds: readonly string[]): Promise<Map<string, Reservation>> {
    const rows = await this.prisma.$queryRawUnsafe<ReservationRow[]>(FIND_ALL, orderIds);
    return new Map(
      rows.map((row) => [
        row.order_id,
        Reservation.restore({
          orderId: row.order_id,
          status: row.status,
          lines: row.lines,
          rejection: row.rejection_reason ? { reason: row.rejection_reason, skus: row.rejected_skus } : null,
        }),
      ]),
    );
  }

  async addAll(reservations: readonly Reservation[], events: readonly IntegrationEvent[]): Promise<void> {
    const states = reservations.map((reservation) => reservation.snapshot());
    const lines = states.flatMap(({ orderId, lines }) =>
      lines.map((line, index) => ({ orderId, lineNo: index + 1, ...line })),
    );
    await recordingEvents('inventory', events, () =>
      this.prisma.$queryRawUnsafe(
        ADD_ALL,
        states.map((state) => state.orderId),
        states.map((state) => state.status),
        states.map((state) => state.rejection?.reason ?? null),
        states.map((state) => JSON.stringify(state.rejection?.skus ?? [])),
        lines.map((line) => line.orderId),
        lines.map((line) => line.lineNo),
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
