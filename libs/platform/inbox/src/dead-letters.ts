import type { DatabaseConnection } from '@platform/database';
import type { EventContract } from '@platform/messaging';
import {
  applyOnce,
  type InboxConsumerDefinition,
  readStoredEvent,
  type RunInTransaction,
  type SqlExecutor,
} from './inbox-consumer';
import { inboxTables } from './inbox-tables';

export interface InboxDeadLetter {
  consumer: string;
  messageId: string;
  /** The event type (for a message that could not be read as an event, its topic). */
  eventType: string | null;
  /** The aggregate the event is about (for an unreadable message, its key). */
  subject: string | null;
  /** The CloudEvents envelope as received, or `{ brokerMessage }` when it could not be read as one. */
  event: unknown;
  error: string;
  attempts: number;
  deadAt: Date;
}

/** The messages the consumers of a module gave up on (one consumer's, or all), oldest first. */
export async function listInboxDeadLetters(
  database: DatabaseConnection,
  schema: string,
  consumer?: string,
  limit = 100,
): Promise<InboxDeadLetter[]> {
  const { deadLetters } = inboxTables(schema);
  const rows = await database.withSession((session) =>
    session.query<{
      consumer: string;
      message_id: string;
      event_type: string | null;
      subject: string | null;
      event: unknown;
      error: string;
      attempts: number;
      dead_at: Date;
    }>(
      `SELECT consumer, message_id::text AS message_id,
              COALESCE(event->>'type', event->'brokerMessage'->>'topic') AS event_type,
              COALESCE(event->>'subject', event->'brokerMessage'->>'key') AS subject,
              event, error, attempts, dead_at
       FROM ${deadLetters}
       WHERE $1::text IS NULL OR consumer = $1
       ORDER BY dead_at, consumer, message_id
       LIMIT $2`,
      [consumer ?? null, limit],
    ),
  );
  return rows.map((row) => ({
    consumer: row.consumer,
    messageId: row.message_id,
    eventType: row.event_type,
    subject: row.subject,
    event: row.event,
    error: row.error,
    attempts: row.attempts,
    deadAt: new Date(row.dead_at),
  }));
}

export interface InboxReplayResult {
  /** Dead letters applied now, and removed. */
  applied: number;
  /** Dead letters already applied (found in the inbox): nothing done, and removed. */
  duplicates: number;
  /** Dead letters that failed again: kept, with the new error and one more attempt. */
  failed: number;
}

/**
 * Runs a consumer's dead letters (the given messages, or all of them, oldest first) through the
 * inbox transaction again, once each: a success applies the effects, records the message in the
 * inbox and deletes the dead letter, in one transaction, so a replay of something already applied
 * is a no-op and a replay that fails changes nothing but the dead letter's error and attempts.
 * Meant for after a fix: a replayed message comes after later messages of its key.
 */
export async function replayInboxDeadLetters<Contract extends EventContract>(
  database: DatabaseConnection,
  definition: InboxConsumerDefinition<Contract>,
  runInTransaction: RunInTransaction,
  messageIds?: readonly string[],
): Promise<InboxReplayResult> {
  const { deadLetters } = inboxTables(definition.schema);
  const rows = await database.withSession((session) =>
    session.query<{ message_id: string; event: unknown }>(
      `SELECT message_id::text AS message_id, event FROM ${deadLetters}
       WHERE consumer = $1 AND ($2::uuid[] IS NULL OR message_id = ANY($2::uuid[]))
       ORDER BY dead_at, message_id`,
      [definition.name, messageIds ? [...messageIds] : null],
    ),
  );
  const result: InboxReplayResult = { applied: 0, duplicates: 0, failed: 0 };
  for (const row of rows) {
    const removeDeadLetter = (tx: SqlExecutor) =>
      tx.query(`DELETE FROM ${deadLetters} WHERE consumer = $1 AND message_id = $2`, [definition.name, row.message_id]);
    try {
      const event = readStoredEvent(definition.contract, row.event);
      const outcome = await applyOnce(definition, runInTransaction, event, removeDeadLetter);
      result[outcome === 'applied' ? 'applied' : 'duplicates'] += 1;
    } catch (error) {
      result.failed += 1;
      await database.withSession((session) =>
        session.query(
          `UPDATE ${deadLetters} SET error = left($3, 2000), attempts = attempts + 1
           WHERE consumer = $1 AND message_id = $2`,
          [definition.name, row.message_id, (error as Error).message || String(error)],
        ),
      );
    }
  }
  return result;
}
