import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { CircuitBreakers } from '@platform/resilience';
import { MessageBroker } from './broker';
import { FaultInjectingBroker } from './fault-injecting-broker';
import { GuardedBroker } from './guarded-broker';
import { InProcessBroker } from './in-process-broker';
import { KafkaBroker } from './kafka-broker';

export const BROKER_BREAKER = 'message-broker';

const FAULT_SIGNAL = 'SIGUSR2';

function createBroker(config: AppConfig, breakers: CircuitBreakers): MessageBroker {
  const logger = new Logger('Messaging');
  // Optional for readiness: with the broker down the api still takes orders; events wait in the outbox.
  const breaker = breakers.for(BROKER_BREAKER, { isOptional: true, errorFilter: GuardedBroker.isNotUnavailability });
  let adapter: MessageBroker;
  if (config.kafka) {
    logger.log(`Kafka at ${config.kafka.brokers.join(', ')}`);
    adapter = new KafkaBroker({ ...config.kafka, logLevel: 'warn' });
  } else {
    logger.log('In-process broker: events stay inside this process (set KAFKA_BROKERS for Kafka)');
    adapter = new InProcessBroker(config.inProcessBrokerPartitions);
  }
  if (config.messagingFaultInjection) {
    const faulty = new FaultInjectingBroker(adapter);
    process.on(FAULT_SIGNAL, () =>
      logger.warn(`Fault injection: the message broker is ${faulty.toggle() ? 'available again' : 'now unavailable'}`),
    );
    logger.warn(`Fault injection is on: ${FAULT_SIGNAL} switches the message broker off and on`);
    adapter = faulty;
  }
  return new GuardedBroker(adapter, breaker);
}

@Injectable()
class BrokerLifecycle implements OnApplicationShutdown {
  constructor(@Inject(MessageBroker) private readonly broker: MessageBroker) {}

  async onApplicationShutdown(): Promise<void> {
    process.removeAllListeners(FAULT_SIGNAL);
    await this.broker.close();
  }
}

/**
 * The process's one MessageBroker: Kafka when KAFKA_BROKERS is set, in-process otherwise, its
 * publishing behind the `message-broker` circuit breaker.
 */
@Global()
@Module({
  providers: [
    { provide: MessageBroker, useFactory: createBroker, inject: [APP_CONFIG, CircuitBreakers] },
    BrokerLifecycle,
  ],
  exports: [MessageBroker],
})
export class MessagingModule {}
