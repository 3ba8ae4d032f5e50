import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'pg';
import { parse } from 'yaml';

/** What must hold after a chaos run, each with what was found. */
export interface InvariantResult {
  name: string;
  holds: boolean;
  detail: string;
}

/** A charge as the payment provider (the gateway simulator) recorded it. */
export interface Charge {
  reference: string;
  captureId: string;
  amountMinor: number;
  refundId?: string;
}

export interface Refund {
  captureId: string;
  reference: string;
}

/** A consumer group and the event type it takes, in the schema whose inbox records it. */
export interface Subscription {
  consumer: string;
  schema: string;
  type: string;
}

export interface RunFacts {
  /** The ids of the orders the api accepted (201). */
  accepted: string[];
  /** Each sku's stock before the run. */
  stockBefore: Map<string, { available: number; reserved: number }>;
  charges: Charge[];
  refunds: Refund[];
  subscriptions: Subscription[];
}

const SCHEMAS = ['catalog', 'ordering', 'inventory', 'payments'];
const FINAL = ['CONFIRMED', 'CANCELLED'];

/**
 * Who consumes what, read from docs/asyncapi.yaml: generated from the code's inbox consumers and kept
 * fresh by test/architecture/generated-docs.spec.ts, so the check follows the code.
 */
export function subscriptionsFromAsyncApi(root: string): Subscription[] {
  const document = parse(readFileSync(path.join(root, 'docs/asyncapi.yaml'), 'utf8')) as {
    operations: Record<
      string,
      {
        action: string;
        channel: { $ref: string };
        tags: { name: string }[];
        bindings: { kafka: { groupId: { enum: string[] } } };
      }
    >;
  };
  return Object.values(document.operations)
    .filter((operation) => operation.action === 'receive')
    .map((operation) => ({
      consumer: operation.bindings.kafka.groupId.enum[0]!,
      schema: operation.tags[0]!.name,
      type: operation.channel.$ref.replace('#/channels/', ''),
    }));
}

const sample = (items: string[], count = 5) =>
  items.length === 0 ? '' : `: ${items.slice(0, count).join(', ')}${items.length > count ? ', …' : ''}`;

/**
 * The invariants of the fulfilment, checked on the database the run wrote and on what the payment
 * provider recorded. Each check looks for counter-examples and names a few.
 */
export async function checkInvariants(sql: Client, facts: RunFacts): Promise<InvariantResult[]> {
  const query = async <Row>(text: string, params: unknown[] = []) => (await sql.query(text, params)).rows as Row[];
  const results: InvariantResult[] = [];

  // Every order final: each accepted order exists, is CONFIRMED or CANCELLED, and so is its saga.
  const orders = await query<{ id: string; status: string; step: string | null; total: string }>(
    `SELECT o.id::text, o.status, s.step, o.total_minor::text AS total
     FROM ordering.orders o LEFT JOIN ordering.fulfilment_sagas s ON s.order_id = o.id
     WHERE o.id = ANY($1::uuid[])`,
    [facts.accepted],
  );
  const byId = new Map(orders.map((order) => [order.id, order]));
  const missing = facts.accepted.filter((id) => !byId.has(id));
  const notFinal = orders.filter((order) => !FINAL.includes(order.status) || order.step !== order.status);
  results.push({
    name: 'every order final',
    holds: missing.length === 0 && notFinal.length === 0 && facts.accepted.length > 0,
    detail:
      `${facts.accepted.length} accepted, ${orders.length - notFinal.length} final` +
      (missing.length ? `; ${missing.length} accepted but not stored${sample(missing)}` : '') +
      (notFinal.length
        ? `; ${notFinal.length} not final${sample(notFinal.map((o) => `${o.id} ${o.status}/${o.step}`))}`
        : ''),
  });

  // Stock: none below zero; what the confirmed orders hold is exactly what became reserved; the total
  // (available + reserved) of each sku is what it was.
  const stock = await query<{ sku: string; available: number; reserved: number }>(
    `SELECT sku, available, reserved FROM inventory.stock WHERE sku = ANY($1)`,
    [[...facts.stockBefore.keys()]],
  );
  const held = await query<{ sku: string; quantity: number }>(
    `SELECT l.sku, sum(l.quantity)::int AS quantity
     FROM ordering.order_lines l JOIN ordering.orders o ON o.id = l.order_id
     WHERE o.status = 'CONFIRMED' AND o.id = ANY($1::uuid[]) GROUP BY l.sku`,
    [facts.accepted],
  );
  const heldBySku = new Map(held.map((row) => [row.sku, row.quantity]));
  const oversold: string[] = [];
  const unconserved: string[] = [];
  for (const row of stock) {
    const before = facts.stockBefore.get(row.sku)!;
    const confirmed = heldBySku.get(row.sku) ?? 0;
    if (row.available < 0 || row.reserved < 0 || confirmed > before.available) {
      oversold.push(`${row.sku} available ${row.available}, confirmed ${confirmed} of ${before.available}`);
    }
    if (
      row.available + row.reserved !== before.available + before.reserved ||
      row.reserved - before.reserved !== confirmed
    ) {
      unconserved.push(
        `${row.sku} ${before.available}+${before.reserved} before, ${row.available}+${row.reserved} after, ${confirmed} held by confirmed orders`,
      );
    }
  }
  results.push({
    name: 'no sku oversold',
    holds: oversold.length === 0 && stock.length === facts.stockBefore.size,
    detail: oversold.length
      ? `${oversold.length} sku(s) oversold${sample(oversold)}`
      : `${stock.length} skus, none below zero, none confirmed beyond its stock`,
  });
  results.push({
    name: 'stock conserved',
    holds: unconserved.length === 0 && stock.length === facts.stockBefore.size,
    detail: unconserved.length
      ? `${unconserved.length} sku(s) off${sample(unconserved, 3)}`
      : 'per sku: available + reserved unchanged; reserved grew by exactly what confirmed orders hold',
  });

  // Money: one charge per order at most; a confirmed order keeps exactly its total; any other order's
  // charge was refunded, once.
  const chargesByOrder = new Map<string, Charge[]>();
  for (const charge of facts.charges) {
    chargesByOrder.set(charge.reference, [...(chargesByOrder.get(charge.reference) ?? []), charge]);
  }
  const chargedTwice = [...chargesByOrder].filter(([, charges]) => charges.length > 1).map(([id]) => id);
  const wrongMoney: string[] = [];
  for (const order of orders) {
    const kept = (chargesByOrder.get(order.id) ?? []).filter((charge) => !charge.refundId);
    const expected = order.status === 'CONFIRMED' ? [order.total] : [];
    const actual = kept.map((charge) => String(charge.amountMinor));
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      wrongMoney.push(`${order.id} ${order.status} keeps [${actual.join(', ')}]`);
    }
  }
  const refundsPerCapture = new Map<string, number>();
  for (const refund of facts.refunds) {
    refundsPerCapture.set(refund.captureId, (refundsPerCapture.get(refund.captureId) ?? 0) + 1);
  }
  const refundedTwice = [...refundsPerCapture].filter(([, count]) => count > 1).map(([id]) => id);
  results.push({
    name: 'no order charged twice',
    holds: chargedTwice.length === 0 && wrongMoney.length === 0 && refundedTwice.length === 0,
    detail:
      `${facts.charges.length} charges, ${facts.refunds.length} refunded` +
      (chargedTwice.length ? `; ${chargedTwice.length} orders charged twice${sample(chargedTwice)}` : '') +
      (wrongMoney.length ? `; ${wrongMoney.length} orders with the wrong money kept${sample(wrongMoney, 3)}` : '') +
      (refundedTwice.length ? `; ${refundedTwice.length} captures refunded twice${sample(refundedTwice)}` : ''),
  });

  // Events: every event recorded in an outbox was published (none pending, none dead), and every
  // consumer of its type recorded it in its inbox; nothing was dead-lettered on the way in.
  const unpublished = await query<{ schema: string; status: string; count: number }>(
    SCHEMAS.map(
      (schema) =>
        `SELECT '${schema}' AS schema, status, count(*)::int AS count FROM ${schema}.outbox WHERE status <> 'PUBLISHED' GROUP BY status`,
    ).join(' UNION ALL '),
  );
  const deadLetters = await query<{ schema: string; count: number }>(
    SCHEMAS.map(
      (schema) => `SELECT '${schema}' AS schema, count(*)::int AS count FROM ${schema}.inbox_dead_letters`,
    ).join(' UNION ALL '),
  );
  const allEvents = SCHEMAS.map((schema) => `SELECT event_id, event_type FROM ${schema}.outbox`).join(' UNION ALL ');
  const undelivered: string[] = [];
  let deliveries = 0;
  for (const { consumer, schema, type } of facts.subscriptions) {
    const [row] = await query<{ events: number; missing: number }>(
      `SELECT count(*)::int AS events,
              count(*) FILTER (WHERE NOT EXISTS (
                SELECT 1 FROM ${schema}.inbox i WHERE i.consumer = $2 AND i.message_id = e.event_id))::int AS missing
       FROM (${allEvents}) e WHERE e.event_type = $1`,
      [type, consumer],
    );
    deliveries += row!.events - row!.missing;
    if (row!.missing > 0) undelivered.push(`${consumer} lacks ${row!.missing} of ${row!.events} ${type}`);
  }
  const dead = deadLetters.filter((row) => row.count > 0);
  results.push({
    name: 'no event lost',
    holds: unpublished.length === 0 && dead.length === 0 && undelivered.length === 0,
    detail:
      `${deliveries} deliveries recorded by ${facts.subscriptions.length} consumers` +
      (unpublished.length
        ? `; not published: ${unpublished.map((r) => `${r.schema} ${r.count} ${r.status}`).join(', ')}`
        : '') +
      (dead.length ? `; dead-lettered: ${dead.map((r) => `${r.schema} ${r.count}`).join(', ')}` : '') +
      (undelivered.length ? `; ${undelivered.join('; ')}` : ''),
  });

  // Effects: each (consumer, message) recorded once; each order reserved at most once, its lines as
  // ordered; each saga reached its final step once (a repeated reply must change nothing).
  const repeatedInbox = await query<{ schema: string; count: number }>(
    SCHEMAS.map(
      (schema) =>
        `SELECT '${schema}' AS schema, count(*)::int AS count FROM (SELECT 1 FROM ${schema}.inbox GROUP BY consumer, message_id HAVING count(*) > 1) d`,
    ).join(' UNION ALL '),
  );
  const wrongReservations = await query<{ order_id: string }>(
    `SELECT r.order_id::text FROM inventory.reservations r
     JOIN inventory.reservation_lines rl ON rl.order_id = r.order_id
     LEFT JOIN ordering.order_lines ol ON ol.order_id = r.order_id AND ol.sku = rl.sku
     WHERE r.order_id = ANY($1::uuid[]) AND r.status = 'RESERVED'
     GROUP BY r.order_id
     HAVING bool_or(ol.quantity IS DISTINCT FROM rl.quantity) OR count(*) <> (SELECT count(*) FROM ordering.order_lines x WHERE x.order_id = r.order_id)`,
    [facts.accepted],
  );
  const reservedButNotConfirmed = await query<{ order_id: string }>(
    `SELECT r.order_id::text FROM inventory.reservations r JOIN ordering.orders o ON o.id = r.order_id
     WHERE r.order_id = ANY($1::uuid[]) AND (r.status = 'RESERVED') <> (o.status = 'CONFIRMED')`,
    [facts.accepted],
  );
  const finalTwice = await query<{ order_id: string }>(
    // Into a final step from one that is not: once. Refunding a late capture goes from CANCELLED
    // through REFUNDING back to CANCELLED, which is not finishing again.
    `SELECT order_id::text FROM ordering.fulfilment_sagas s
     WHERE order_id = ANY($1::uuid[])
       AND (SELECT count(*) FROM (
              SELECT h->>'step' AS step, lag(h->>'step') OVER (ORDER BY n) AS previous
              FROM jsonb_array_elements(s.history) WITH ORDINALITY AS entries(h, n)) steps
            WHERE step IN ('CONFIRMED', 'CANCELLED')
              AND coalesce(previous, '') NOT IN ('CONFIRMED', 'CANCELLED', 'REFUNDING')) > 1`,
    [facts.accepted],
  );
  const repeated = repeatedInbox.filter((row) => row.count > 0);
  results.push({
    name: 'no effect applied twice',
    holds:
      repeated.length === 0 &&
      wrongReservations.length === 0 &&
      reservedButNotConfirmed.length === 0 &&
      finalTwice.length === 0 &&
      chargedTwice.length === 0,
    detail:
      'inbox records unique; reservations match their orders; each saga final once; one charge per order' +
      (repeated.length ? `; inbox repeats: ${repeated.map((r) => `${r.schema} ${r.count}`).join(', ')}` : '') +
      (wrongReservations.length
        ? `; ${wrongReservations.length} reservations differ from their order${sample(wrongReservations.map((r) => r.order_id))}`
        : '') +
      (reservedButNotConfirmed.length
        ? `; ${reservedButNotConfirmed.length} orders whose reservation disagrees with their status${sample(reservedButNotConfirmed.map((r) => r.order_id))}`
        : '') +
      (finalTwice.length
        ? `; ${finalTwice.length} sagas finished twice${sample(finalTwice.map((r) => r.order_id))}`
        : ''),
  });
  return results;
}
