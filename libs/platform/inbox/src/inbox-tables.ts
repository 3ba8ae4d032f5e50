import type { DatabaseConnection } from '@platform/database';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * The inbox tables of a module: `<schema>.inbox` and `<schema>.inbox_dead_letters`, created by the
 * module's own migration (the SQL is in libs/platform/inbox/README.md). The name is checked because
 * it is spliced into SQL text.
 */
export function inboxTables(schema: string): { inbox: string; deadLetters: string } {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`'${schema}' is not a valid schema name for an inbox`);
  }
  return { inbox: `"${schema}"."inbox"`, deadLetters: `"${schema}"."inbox_dead_letters"` };
}

/**
 * Deletes inbox rows processed longer ago than the retention, in chunks that keep locks short.
 * Returns how many it deleted. A row is what makes a redelivery a no-op: once it is gone, the same
 * message would be applied again, so the retention must be longer than any redelivery can come
 * late (broker retention, replays of the outbox's dead letters, a consumer group reset).
 */
export async function purgeInbox(database: DatabaseConnection, schema: string, retentionMs: number): Promise<number> {
  const { inbox } = inboxTables(schema);
  let total = 0;
  for (;;) {
    const deleted = await database.withSession((session) =>
      session.query<{ n: number }>(
        `WITH old AS (
           SELECT consumer, message_id FROM ${inbox}
           WHERE processed_at < now() - make_interval(secs => $1::double precision / 1000)
           LIMIT 5000
         ), gone AS (
           DELETE FROM ${inbox} i USING old
           WHERE i.consumer = old.consumer AND i.message_id = old.message_id
           RETURNING 1
         )
         SELECT count(*)::int AS n FROM gone`,
        [retentionMs],
      ),
    );
    const n = deleted[0]?.n ?? 0;
    total += n;
    if (n < 5000) {
      return total;
    }
  }
}
