import type { INestApplicationContext } from '@nestjs/common';
import { type DeliveredMessage, MessageBroker } from '@platform/messaging';

export interface MessageRecorder {
  /** Every message delivered so far, in delivery order. */
  received: DeliveredMessage[];
  stop(): Promise<void>;
}

/** Subscribes a test's own consumer group to some topics of the app's broker and keeps what arrives. */
export async function recordMessages(
  app: INestApplicationContext,
  group: string,
  topics: readonly string[],
): Promise<MessageRecorder> {
  const received: DeliveredMessage[] = [];
  const consumer = await app.get(MessageBroker).consume({
    group,
    topics,
    handler: async (message) => {
      received.push(message);
    },
  });
  return { received, stop: () => consumer.stop() };
}
