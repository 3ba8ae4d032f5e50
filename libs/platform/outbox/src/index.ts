export {
  outboxTable,
  outboxInsertSql,
  outboxInsertParams,
  recordInOutbox,
  recordingEvents,
  TransactionalOutbox,
} from './outbox-record';
export {
  OutboxRelay,
  purgePublished,
  type OutboxRelayOptions,
  type OutboxRelayLog,
  type RelayCounters,
} from './outbox-relay';
export { listDeadLetters, replayDeadLetters, type DeadLetter } from './dead-letters';
export { OutboxModule, OutboxFeature, OutboxRelays } from './outbox.module';
export { outboxBacklog, type OutboxBacklog } from './outbox-backlog';
export { unitOfWorkProviders } from './unit-of-work';
