import type { DatabaseConnection } from '@platform/database';
import { outboxTable } from './outbox-record';

export interface DeadLetter {
  eventId: string;
  eventType: string;
  subject: string;
  attempts: number;
  lastError: string | null;
  occurredAt: Date;
}

/** Events the relay gave up on, oldest first. */
export async function listDeadLetters(
  database: DatabaseConnection,
  schema: string,
  limit = 100,
): Promise<DeadLetter[]> {
  const rows = await database.withSession((session) =>
    session.query<{
      event_id: string;
      event_type: string;
      subject: string;
      attempts: number;
      last_error: string | null;
      occurred_at: Date;
    }>(
      `SELECT event_id::text, event_type, subject, attempts, last_error, occurred_at
       FROM ${outboxTable(schema)} WHERE status = 'DEAD' ORDER BY id LIMIT $1`,
      [limit],
    ),
  );
  return rows.map((row) => ({
    eventId: row.event_id,
    eventType: row.event_type,
    subject: row.subject,
    attempts: row.attempts,
    lastError: row.last_error,
    occurredAt: new Date(row.occurred_at),
  }));
}

/**
 * Puts dead letters back in the queue with a fresh attempt budget: the given events, or all of
 * them. Returns how many were requeued. The relay publishes them as it would new events.
 */
export async function replayDeadLetters(
  database: DatabaseConnection,
  schema: string,
  eventIds?: readonly string[],
): Promise<number> {
  const rows = await database.withSession((session) =>
    session.query(
      `UPDATE ${outboxTable(schema)}
       SET status = 'PENDING', attempts = 0, next_attempt_at = now(), last_error = NULL
       WHERE status = 'DEAD' AND ($1::uuid[] IS NULL OR event_id = ANY($1::uuid[]))
       RETURNING id`,
      [eventIds ? [...eventIds] : null],
    ),
  );
  if (rows.length > 0) {
    await database.withSession((session) => session.query('SELECT pg_notify($1, $2)', [`${schema}_outbox`, '']));
  }
  return rows.length;
}
