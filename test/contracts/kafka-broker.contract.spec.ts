import { randomUUID } from 'node:crypto';
import { KafkaBroker } from '@platform/messaging';
import { describeBrokerContract } from './broker.contract';

/*
 * The same contract against a real Kafka, when one is reachable: KAFKA_BROKERS=localhost:9094
 * (docker compose up kafka). Without it every case is still listed, as skipped, under a name
 * that says why, so that a green run never passes for a run against Kafka.
 */
const brokers = (process.env.KAFKA_BROKERS ?? '')
  .split(',')
  .map((address) => address.trim())
  .filter((address) => address.length > 0);

if (brokers.length > 0) {
  const replicationFactor = Number(process.env.KAFKA_REPLICATION_FACTOR ?? '1');
  describeBrokerContract(
    `KafkaBroker (${brokers.join(',')}, replication factor ${replicationFactor})`,
    async () =>
      new KafkaBroker({ brokers, clientId: `contract-${randomUUID()}`, replicationFactor, logLevel: 'error' }),
  );
} else {
  describe.skip('KafkaBroker contract (skipped: KAFKA_BROKERS is not set)', () => {
    describeBrokerContract('KafkaBroker', () => Promise.reject(new Error('KAFKA_BROKERS is not set')));
  });
}
