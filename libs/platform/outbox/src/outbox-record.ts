import type { SqlExecutor } from '@platform/database';
import type { IntegrationEvent } from '@platform/messaging';
import { inSpan } from '@platform/observability';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/** The outbox table of a module: `<schema>.outbox`, created by the module's own migration. */
export function outboxTable(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`'${schema}' is not a valid schema name for an outbox`);
  }
  return `"${schema}"."outbox"`;
}

/**
 * The INSERT that records events in a module's outbox, as a statement of its own or as one part
 * (a CTE) of the statement that changes the aggregate: either way it commits or rolls back with
 * the business change. It takes seven parameters from `$firstParam` on (see outboxInsertParams),
 * so it can be built once; `onlyIf` is an SQL condition (e.g. `EXISTS (SELECT 1 FROM new_order)`).
 */
export function outboxInsertSql(schema: string, firstParam = 1, onlyIf?: string): string {
  const p = (offset: number) => `$${firstParam + offset}`;
  return `INSERT INTO ${outboxTable(schema)} (event_id, event_type, source, subject, occurred_at, traceparent, payload)
    SELECT e.event_id, e.event_type, e.source, e.subject, e.occurred_at, e.traceparent, e.payload
    FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::timestamptz[], ${p(5)}::text[], ${p(6)}::jsonb[])
      WITH ORDINALITY AS e(event_id, event_type, source, subject, occurred_at, traceparent, payload, position)
    ${onlyIf ? `WHERE ${onlyIf}` : ''}
    ORDER BY e.position`;
}

/** The seven parameters of outboxInsertSql, one array per column, in event order. */
export function outboxInsertParams(events: readonly IntegrationEvent[]): unknown[] {
  return [
    events.map((event) => event.id),
    events.map((event) => event.type),
    events.map((event) => event.source),
    events.map((event) => event.subject),
    events.map((event) => event.time),
    events.map((event) => event.traceparent ?? null),
    events.map((event) => JSON.stringify(event.data)),
  ];
}

/** Records events in the outbox inside the transaction `session` belongs to. */
export async function recordInOutbox(
  session: SqlExecutor,
  schema: string,
  events: readonly IntegrationEvent[],
): Promise<void> {
  if (events.length > 0) {
    await recordingEvents(schema, events, () => session.query(outboxInsertSql(schema), outboxInsertParams(events)));
  }
}

/**
 * Runs `write`, the statement that records `events` in `schema`'s outbox (alone, or with the
 * change they describe in one statement), in an `outbox.record <schema>` span: the outbox write
 * in the trace of the request or message that made the change. Nothing to record: `write` alone.
 */
export async function recordingEvents<T>(
  schema: string,
  events: readonly IntegrationEvent[],
  write: () => Promise<T>,
): Promise<T> {
  if (events.length === 0) return write();
  return inSpan(
    `outbox.record ${schema}`,
    {
      attributes: {
        'outbox.schema': schema,
        'outbox.events': events.length,
        'outbox.event_types': [...new Set(events.map((event) => event.type))],
      },
    },
    write,
  );
}

/**
 * A module's outbox for code that runs inside a transaction opened elsewhere (the module's
 * unit of work): `currentTransaction` finds it through async context. Recording outside a
 * transaction is refused: the event would commit on its own, without the change it describes.
 */
export class TransactionalOutbox {
  constructor(
    private readonly schema: string,
    private readonly currentTransaction: () => SqlExecutor | null,
  ) {}

  async record(events: readonly IntegrationEvent[]): Promise<void> {
    const transaction = this.currentTransaction();
    if (!transaction) {
      throw new Error(`Events for ${outboxTable(this.schema)} must be recorded inside the transaction of their change`);
    }
    await recordInOutbox(transaction, this.schema, events);
  }
}
