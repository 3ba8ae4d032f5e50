import { Inject, Injectable } from '@nestjs/common';
import type { Order } from '../../domain/order';
import type { IntegrationEvent } from '@platform/messaging';
import { outboxInsertParams, outboxInsertSql, recordingEvents } from '@platform/outbox';
import { type AddOutcome, type IdempotencyClaim, OrderRepository } from '../../application/ports';
import { PrismaClient } from './generated/client';

/*
 * Placing an order is one SQL statement: the order, its lines, its events in the outbox and,
 * when the client sent an Idempotency-Key, the key's claim. One statement is one round trip and
 * is atomic without an explicit transaction. With a key, the order (and so its lines and events)
 * is inserted only if the key was claimed; a concurrent request holding the same key makes
 * ON CONFLICT wait for it to commit, then do nothing.
 */
const newEvents = (firstParam: number) =>
  `new_events AS (${outboxInsertSql('ordering', firstParam, 'EXISTS (SELECT 1 FROM new_order)')}),`;

const LINES = `
  new_lines AS (
    INSERT INTO "ordering"."order_lines" (order_id, line_no, sku, quantity, unit_price_minor)
    SELECT new_order.id, l.line_no, l.sku, l.quantity, l.unit_price_minor
    FROM new_order,
         unnest($6::smallint[], $7::varchar[], $8::int[], $9::int[]) AS l(line_no, sku, quantity, unit_price_minor)
  )
SELECT count(*)::int AS added FROM new_order`;

const INSERT_ORDER = `
  INSERT INTO "ordering"."orders" (id, customer_id, status, currency, total_minor, created_at, updated_at)`;

const PLACE_ORDER = `
WITH new_order AS (
  ${INSERT_ORDER}
  VALUES ($1::uuid, $2, $3, $4, $5::bigint, $10::timestamptz, $10::timestamptz)
  RETURNING id
), ${newEvents(11)}${LINES}`;

const PLACE_ORDER_WITH_KEY = `
WITH claim AS (
  INSERT INTO "ordering"."idempotency_keys" (key, request_fingerprint, order_id, created_at)
  VALUES ($11, $12, $1::uuid, $10::timestamptz)
  ON CONFLICT (key) DO NOTHING
  RETURNING order_id
), new_order AS (
  ${INSERT_ORDER}
  SELECT $1::uuid, $2, $3, $4, $5::bigint, $10::timestamptz, $10::timestamptz FROM claim
  RETURNING id
), ${newEvents(13)}${LINES}`;

@Injectable()
export class PrismaOrderRepository extends OrderRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {
    super();
  }

  async add(order: Order, claim: IdempotencyClaim | null, events: readonly IntegrationEvent[]): Promise<AddOutcome> {
    const o = order.snapshot();
    const params: unknown[] = [
      o.id,
      o.customerId,
      o.status,
      o.currency,
      o.totalMinor,
      o.lines.map((line) => line.lineNo),
      o.lines.map((line) => line.sku),
      o.lines.map((line) => line.quantity),
      o.lines.map((line) => line.unitPriceMinor),
      o.placedAt,
    ];
    if (!claim) {
      await recordingEvents('ordering', events, () =>
        this.prisma.$queryRawUnsafe(PLACE_ORDER, ...params, ...outboxInsertParams(events)),
      );
      return { added: true };
    }
    const [result] = await recordingEvents('ordering', events, () =>
      this.prisma.$queryRawUnsafe<{ added: number }[]>(
        PLACE_ORDER_WITH_KEY,
        ...params,
        claim.key,
        claim.requestFingerprint,
        ...outboxInsertParams(events),
      ),
    );
    if (result?.added === 1) {
      return { added: true };
    }
    const earlier = await this.findClaim(claim.key);
    if (!earlier) {
      throw new Error(`Idempotency key claim vanished while placing order ${o.id}`);
    }
    return { added: false, ...earlier };
  }

  findClaim(key: string): Promise<{ orderId: string; requestFingerprint: string } | null> {
    return this.prisma.idempotencyKey.findUnique({
      where: { key },
      select: { orderId: true, requestFingerprint: true },
    });
  }
}
