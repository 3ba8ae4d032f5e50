import { randomUUID } from 'node:crypto';
import { loadConfig } from '@platform/config';
import { KafkaBroker } from '@platform/messaging';
import { ConfigResourceTypes, Kafka } from 'kafkajs';
import { describeBrokerContract } from './broker.contract';

/*
 * The same contract against a real Kafka, when one is reachable: KAFKA_BROKERS=localhost:9094
 * (docker compose up kafka). Without it every case is still listed, as skipped, under a name
 * that says why, so that a green run never passes for a run against Kafka. KAFKA_TLS and
 * KAFKA_SASL_* are read as the apps read them, for a broker that requires them.
 */
const brokers = (process.env.KAFKA_BROKERS ?? '')
  .split(',')
  .map((address) => address.trim())
  .filter((address) => address.length > 0);

const MIN_INSYNC_REPLICAS_CASE = 'creates its topics with the min.insync.replicas it is given, not the broker default';

if (brokers.length > 0) {
  const replicationFactor = Number(process.env.KAFKA_REPLICATION_FACTOR ?? '1');
  const kafkaSettings = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('KAFKA_')));
  const { tls, sasl } = loadConfig(kafkaSettings).kafka!;
  describeBrokerContract(
    `KafkaBroker (${brokers.join(',')}, replication factor ${replicationFactor})`,
    async () =>
      new KafkaBroker({
        brokers,
        clientId: `contract-${randomUUID()}`,
        replicationFactor,
        tls,
        sasl,
        logLevel: 'error',
      }),
  );

  it(MIN_INSYNC_REPLICAS_CASE, async () => {
    const topic = `contract-min-isr-${randomUUID()}`;
    const broker = new KafkaBroker({
      brokers,
      clientId: `contract-${randomUUID()}`,
      replicationFactor,
      minInSyncReplicas: replicationFactor,
      tls,
      sasl,
      logLevel: 'error',
    });
    const admin = new Kafka({ brokers, ssl: tls, ...(sasl ? { sasl } : {}), logLevel: 0 }).admin();
    try {
      await broker.ensureTopics([topic]);
      await admin.connect();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
      });
      expect(resources[0]!.configEntries).toEqual([
        expect.objectContaining({
          configName: 'min.insync.replicas',
          configValue: String(replicationFactor),
          isDefault: false,
        }),
      ]);
    } finally {
      await admin.disconnect();
      await broker.close();
    }
  });
} else {
  describe.skip('KafkaBroker contract (skipped: KAFKA_BROKERS is not set)', () => {
    describeBrokerContract('KafkaBroker', () => Promise.reject(new Error('KAFKA_BROKERS is not set')));
    it(MIN_INSYNC_REPLICAS_CASE, () => Promise.reject(new Error('KAFKA_BROKERS is not set')));
  });
}
