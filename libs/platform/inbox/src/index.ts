export {
  InboxConsumer,
  defineInboxConsumer,
  type InboxConsumerDefinition,
  type InboxDelivery,
  type InboxCounters,
  type InboxLog,
  type InboxTransactionOwner,
  type RunInTransaction,
  type RunStatement,
  type SqlExecutor,
} from './inbox-consumer';
export {
  listInboxDeadLetters,
  replayInboxDeadLetters,
  type InboxDeadLetter,
  type InboxReplayResult,
} from './dead-letters';
export { inboxTables, purgeInbox } from './inbox-tables';
export { InboxModule, InboxConsumers, InboxFeature, inboxConsumers, type InboxHandler } from './inbox.module';
