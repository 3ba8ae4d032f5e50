import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { MessageBroker } from './broker';
import { InProcessBroker } from './in-process-broker';
import { KafkaBroker } from './kafka-broker';

function createBroker(config: AppConfig): MessageBroker {
  const logger = new Logger('Messaging');
  if (config.kafka) {
    logger.log(`Kafka at ${config.kafka.brokers.join(', ')}`);
    return new KafkaBroker({ ...config.kafka, logLevel: 'warn' });
  }
  logger.log('In-process broker: events stay inside this process (set KAFKA_BROKERS for Kafka)');
  return new InProcessBroker();
}

@Injectable()
class BrokerLifecycle implements OnApplicationShutdown {
  constructor(@Inject(MessageBroker) private readonly broker: MessageBroker) {}

  async onApplicationShutdown(): Promise<void> {
    await this.broker.close();
  }
}

/** The process's one MessageBroker: Kafka when KAFKA_BROKERS is set, in-process otherwise. */
@Global()
@Module({
  providers: [{ provide: MessageBroker, useFactory: createBroker, inject: [APP_CONFIG] }, BrokerLifecycle],
  exports: [MessageBroker],
})
export class MessagingModule {}
