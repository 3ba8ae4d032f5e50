import type { DatabaseConnection } from '@platform/database';
import { outboxTable } from './outbox-record';

export interface OutboxBacklog {
  /** Events recorded and not yet published (including those waiting for a retry). */
  pending: number;
  /** How long the oldest pending event has waited, in ms; 0 when nothing is pending. */
  oldestPendingAgeMs: number;
  deadLetters: number;
}

/** The gauges of an outbox, for health and metrics: poll it every few seconds, not per request. */
export async function outboxBacklog(database: DatabaseConnection, schema: string): Promise<OutboxBacklog> {
  const table = outboxTable(schema);
  // Three sub-queries, so that each can use its partial index (pending, dead) instead of one scan.
  const [row] = await database.withSession((session) =>
    session.query<{ pending: number; oldest_age_ms: number | null; dead: number }>(
      `SELECT (SELECT count(*) FROM ${table} WHERE status = 'PENDING')::int AS pending,
              (SELECT extract(epoch FROM now() - min(occurred_at)) * 1000 FROM ${table} WHERE status = 'PENDING')::float8
                AS oldest_age_ms,
              (SELECT count(*) FROM ${table} WHERE status = 'DEAD')::int AS dead`,
    ),
  );
  return {
    pending: row?.pending ?? 0,
    oldestPendingAgeMs: Math.max(0, Math.round(row?.oldest_age_ms ?? 0)),
    deadLetters: row?.dead ?? 0,
  };
}
