export {
  BrokerUnavailable,
  MessageBroker,
  type BrokerMessage,
  type DeliveredMessage,
  type MessageHandler,
  type ConsumerOptions,
  type RunningConsumer,
} from './broker';
export { InProcessBroker } from './in-process-broker';
export { KafkaBroker, type KafkaBrokerOptions, type KafkaLogLevel } from './kafka-broker';
export {
  type IntegrationEvent,
  type EventContract,
  type EventData,
  defineEvent,
  createEvent,
  parsePayload,
  toBrokerMessage,
  fromBrokerMessage,
  sentTraceparent,
  EventPayloadInvalid,
  MalformedMessage,
} from './integration-event';
export { currentTraceparent } from './trace-context';
export { MessagingModule, BROKER_BREAKER } from './messaging.module';
export { GuardedBroker } from './guarded-broker';
