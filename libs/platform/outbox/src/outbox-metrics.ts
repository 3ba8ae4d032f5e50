import { type BatchObservableCallback, metrics } from '@opentelemetry/api';
import type { DatabaseConnection } from '@platform/database';
import { outboxBacklog } from './outbox-backlog';

/**
 * The backlog of each outbox as OpenTelemetry gauges, read from the database when metrics are
 * collected (a scrape), not on a timer: `outbox.pending`, `outbox.oldest_pending_age` (seconds)
 * and `outbox.dead_letters`, each with `outbox.schema`. Registered by the processes that relay;
 * every such process reports the same rows, so aggregate them with max, not sum. Returns the
 * function that stops observing.
 */
export function observeOutboxBacklogs(database: DatabaseConnection, schemas: readonly string[]): () => void {
  const meter = metrics.getMeter('@platform/outbox');
  const pending = meter.createObservableGauge('outbox.pending', {
    description: 'Events recorded and not yet published (waiting for a retry included)',
  });
  const oldestAge = meter.createObservableGauge('outbox.oldest_pending_age', {
    description: 'How long the oldest pending event has waited',
    unit: 's',
  });
  const deadLetters = meter.createObservableGauge('outbox.dead_letters', {
    description: 'Events the relay gave up on (npm run outbox -- replay)',
  });
  const observe: BatchObservableCallback = async (result) => {
    for (const schema of schemas) {
      const backlog = await outboxBacklog(database, schema);
      const attributes = { 'outbox.schema': schema };
      result.observe(pending, backlog.pending, attributes);
      result.observe(oldestAge, backlog.oldestPendingAgeMs / 1000, attributes);
      result.observe(deadLetters, backlog.deadLetters, attributes);
    }
  };
  const observables = [pending, oldestAge, deadLetters];
  meter.addBatchObservableCallback(observe, observables);
  return () => meter.removeBatchObservableCallback(observe, observables);
}
