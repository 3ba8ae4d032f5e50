import type { DatabaseConnection } from '@platform/database';
import { outboxTable } from './outbox-record';

export interface OutboxBacklog {
  /** Events recorded and not yet published (including those waiting for a retry). */
  pending: number;
  /** How long the oldest pending event has waited, in ms; 0 when nothing is pending. */
  oldestPendingAgeMs: number;
  deadLetters: number;
}

/** The gauges of an outbox, for health and metrics: one indexed query. */
export async function outboxBacklog(database: DatabaseConnection, schema: string): Promise<OutboxBacklog> {
  const [row] = await database.withSession((session) =>
    session.query<{ pending: number; oldest_age_ms: number | null; dead: number }>(
      `SELECT count(*) FILTER (WHERE status = 'PENDING')::int AS pending,
              (extract(epoch FROM now() - min(occurred_at) FILTER (WHERE status = 'PENDING')) * 1000)::float8 AS oldest_age_ms,
              count(*) FILTER (WHERE status = 'DEAD')::int AS dead
       FROM ${outboxTable(schema)} WHERE status <> 'PUBLISHED'`,
    ),
  );
  return {
    pending: row?.pending ?? 0,
    oldestPendingAgeMs: Math.max(0, Math.round(row?.oldest_age_ms ?? 0)),
    deadLetters: row?.dead ?? 0,
  };
}
