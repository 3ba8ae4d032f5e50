import { type BatchObservableCallback, metrics } from '@opentelemetry/api';
import type { DatabaseConnection } from '@platform/database';
import { inboxTables } from './inbox-tables';

/**
 * `inbox.dead_letters` per module (`inbox.schema`): messages its consumers gave up on, read from
 * the database when metrics are collected. Every consuming process reports the same rows:
 * aggregate with max. Returns the function that stops observing.
 */
export function observeInboxDeadLetters(database: DatabaseConnection, schemas: readonly string[]): () => void {
  const meter = metrics.getMeter('@platform/inbox');
  const deadLetters = meter.createObservableGauge('inbox.dead_letters', {
    description: 'Messages the consumers of a module gave up on (replay with replayInboxDeadLetters)',
  });
  const observe: BatchObservableCallback = async (result) => {
    for (const schema of schemas) {
      const [row] = await database.withSession((session) =>
        session.query<{ dead: number }>(`SELECT count(*)::int AS dead FROM ${inboxTables(schema).deadLetters}`),
      );
      result.observe(deadLetters, row?.dead ?? 0, { 'inbox.schema': schema });
    }
  };
  meter.addBatchObservableCallback(observe, [deadLetters]);
  return () => meter.removeBatchObservableCallback(observe, [deadLetters]);
}
