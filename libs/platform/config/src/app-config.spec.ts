import { ConfigurationError, loadConfig } from './app-config';

describe('loadConfig', () => {
  const problemsOf = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as ConfigurationError).problems.join('\n');
    }
    throw new Error('expected a ConfigurationError');
  };

  it('runs embedded with defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({
      kind: 'embedded',
      dataDir: '.data/pglite',
      migrateOnStart: true,
      migrationsDir: 'prisma',
      migrationsWaitTimeoutMs: 300_000,
    });
    expect(config.http).toMatchObject({ port: 3000, host: '0.0.0.0', bodyLimitBytes: 65536 });
    expect(config.seedSampleData).toBe(true);
  });

  it('batches up to 32 messages per consumer transaction unless told otherwise, and refuses a batch of none', () => {
    expect(loadConfig({}).inboxMaxBatchSize).toBe(32);
    expect(loadConfig({ INBOX_MAX_BATCH_SIZE: '1' }).inboxMaxBatchSize).toBe(1);
    expect(problemsOf({ INBOX_MAX_BATCH_SIZE: '0' })).toMatch(/^INBOX_MAX_BATCH_SIZE: /);
    expect(problemsOf({ INBOX_MAX_BATCH_SIZE: 'many' })).toMatch(/^INBOX_MAX_BATCH_SIZE: /);
  });

  it('uses PostgreSQL when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://app@db:5432/orders', DATABASE_POOL_SIZE: '20' });
    expect(config.database).toMatchObject({ kind: 'postgres', url: 'postgresql://app@db:5432/orders', poolSize: 20 });
  });

  it('prepares statements on PostgreSQL unless DATABASE_PREPARED_STATEMENTS=false', () => {
    const url = 'postgresql://app@db:5432/orders';
    expect(loadConfig({ DATABASE_URL: url }).database).toMatchObject({ preparedStatements: true });
    expect(loadConfig({ DATABASE_URL: url, DATABASE_PREPARED_STATEMENTS: 'false' }).database).toMatchObject({
      preparedStatements: false,
    });
    expect(problemsOf({ DATABASE_PREPARED_STATEMENTS: 'sometimes' })).toMatch(/^DATABASE_PREPARED_STATEMENTS: /);
  });

  it('sheds on event-loop delay by default on PostgreSQL only (PGlite works on the event loop)', () => {
    expect(loadConfig({}).http.loadShedding.maxEventLoopDelayMs).toBe(0);
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/x' }).http.loadShedding.maxEventLoopDelayMs).toBe(500);
    expect(loadConfig({ LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '200' }).http.loadShedding.maxEventLoopDelayMs).toBe(200);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).database.kind).toBe('embedded');
  });

  it('reads booleans written the usual ways', () => {
    expect(loadConfig({ SEED_SAMPLE_DATA: 'false' }).seedSampleData).toBe(false);
    expect(loadConfig({ SEED_SAMPLE_DATA: '0' }).seedSampleData).toBe(false);
    expect(loadConfig({ SEED_SAMPLE_DATA: 'yes' }).seedSampleData).toBe(true);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: '70000', HTTP_BODY_LIMIT_BYTES: 'lots', NODE_ENV: 'staging' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const { problems } = error as ConfigurationError;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/^PORT: .*70000/m);
    expect(problems.join('\n')).toMatch(/^HTTP_BODY_LIMIT_BYTES: /m);
    expect(problems.join('\n')).toMatch(/^NODE_ENV: /m);
  });

  it('runs the cache in-process only, with its defaults, when REDIS_URL is unset', () => {
    const config = loadConfig({});
    expect(config.redisUrl).toBeNull();
    expect(config.cache).toEqual({
      l1MaxEntries: 10_000,
      l1TtlMs: 5_000,
      l2TtlMs: 300_000,
      redisTimeoutMs: 100,
      namespace: 'cache',
    });
  });

  it('reads the Redis URL and the cache settings', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://cache:6379/2',
      CACHE_L1_MAX_ENTRIES: '500',
      CACHE_L1_TTL_MS: '2000',
      CACHE_L2_TTL_MS: '60000',
      CACHE_REDIS_TIMEOUT_MS: '50',
      CACHE_NAMESPACE: 'shop-eu.cache',
    });
    expect(config.redisUrl).toBe('redis://cache:6379/2');
    expect(config.cache).toEqual({
      l1MaxEntries: 500,
      l1TtlMs: 2_000,
      l2TtlMs: 60_000,
      redisTimeoutMs: 50,
      namespace: 'shop-eu.cache',
    });
    expect(() => loadConfig({ CACHE_NAMESPACE: 'a b' })).toThrow(/^\s+- CACHE_NAMESPACE: /m);
    expect(loadConfig({ REDIS_URL: 'rediss://user:secret@cache:6380' }).redisUrl).toBe(
      'rediss://user:secret@cache:6380',
    );
    expect(() => loadConfig({ CACHE_L1_MAX_ENTRIES: '0' })).toThrow(/^\s+- CACHE_L1_MAX_ENTRIES: /m);
  });

  it('never echoes the database URL, which may hold a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' })).toThrow(/DATABASE_URL: .*\(value hidden\)/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' })).not.toThrow(/hunter2/);
  });

  it('never echoes the Redis URL either', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).toThrow(/REDIS_URL: .*\(value hidden\)/);
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).not.toThrow(/hunter2/);
  });

  describe('authentication', () => {
    const issuer = {
      AUTH_ISSUER: 'https://id.example/realms/shop',
      AUTH_AUDIENCE: 'shop-api',
      AUTH_JWKS_URL: 'https://id.example/realms/shop/protocol/openid-connect/certs',
    };

    it('verifies against the JWKS named by the three AUTH_ variables, asymmetric algorithms only', () => {
      expect(loadConfig({ ...issuer, DATABASE_URL: 'postgresql://db/x', NODE_ENV: 'production' }).auth).toEqual({
        kind: 'jwks',
        issuer: issuer.AUTH_ISSUER,
        audience: 'shop-api',
        jwksUrl: issuer.AUTH_JWKS_URL,
        algorithms: ['RS256', 'ES256'],
        rolesClaim: 'realm_access.roles',
        adminRole: 'admin',
        clockToleranceSeconds: 5,
      });
    });

    it('runs the development issuer in embedded development only, or when asked outside production', () => {
      expect(loadConfig({}).auth.kind).toBe('development');
      expect(loadConfig({ DATABASE_URL: 'postgresql://db/x', AUTH_DEV_ISSUER: 'true' }).auth.kind).toBe('development');
      expect(loadConfig({ AUTH_DEV_ISSUER: 'false' }).auth.kind).toBe('missing');
    });

    it('has no issuer, and so serves no API, outside embedded mode or in production unless one is named', () => {
      const onPostgres = loadConfig({ DATABASE_URL: 'postgresql://db/x' }).auth;
      expect(onPostgres).toEqual({
        kind: 'missing',
        problem: expect.stringMatching(/^AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL: required/),
      });
      const inProduction = loadConfig({ NODE_ENV: 'production' }).auth;
      expect(inProduction).toEqual({ kind: 'missing', problem: expect.stringContaining('NODE_ENV=production') });
    });

    it('refuses the development issuer in production, whatever else is set', () => {
      expect(problemsOf({ NODE_ENV: 'production', AUTH_DEV_ISSUER: 'true' })).toMatch(/^AUTH_DEV_ISSUER: .*production/);
    });

    it('refuses a partial or ambiguous issuer configuration', () => {
      expect(problemsOf({ AUTH_ISSUER: issuer.AUTH_ISSUER })).toMatch(
        /^AUTH_AUDIENCE: required.*\nAUTH_JWKS_URL: required/,
      );
      expect(problemsOf({ ...issuer, AUTH_DEV_ISSUER: 'true' })).toMatch(/^AUTH_DEV_ISSUER: cannot be combined/);
    });

    it.each(['HS256', 'none', 'RS256,HS512', ' , '])('refuses AUTH_ALGORITHMS=%j', (algorithms) => {
      expect(problemsOf({ ...issuer, AUTH_ALGORITHMS: algorithms })).toMatch(/^AUTH_ALGORITHMS: /);
    });
  });

  describe('the HTTP edge', () => {
    it('trusts no proxy, allows no browser origin and limits callers by default', () => {
      expect(loadConfig({}).http).toMatchObject({
        trustedProxies: [],
        corsOrigins: [],
        rateLimit: { perClient: 1200, perIp: 300, windowMs: 60_000 },
      });
    });

    it('reads lists of proxies and origins', () => {
      const http = loadConfig({
        TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1,::1',
        CORS_ORIGINS: 'https://shop.example,http://localhost:5173',
      }).http;
      expect(http.trustedProxies).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
      expect(http.corsOrigins).toEqual(['https://shop.example', 'http://localhost:5173']);
    });

    it.each([
      ['TRUSTED_PROXIES', 'everyone'],
      ['TRUSTED_PROXIES', '10.0.0.0/33'],
      ['CORS_ORIGINS', '*'],
      ['CORS_ORIGINS', 'https://shop.example/path'],
      ['CORS_ORIGINS', 'javascript://x'],
    ])('refuses %s=%j', (name, value) => {
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
    });
  });

  describe('Kafka', () => {
    const kafka = { KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092' };

    it('creates topics with the broker default min.insync.replicas unless it is set', () => {
      expect(loadConfig(kafka).kafka).toEqual({
        brokers: ['kafka-0:9092', 'kafka-1:9092'],
        clientId: 'nest-modulith',
        partitions: 6,
        replicationFactor: 1,
        minInSyncReplicas: null,
        tls: false,
        sasl: null,
      });
      expect(
        loadConfig({ ...kafka, KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka,
      ).toMatchObject({ replicationFactor: 3, minInSyncReplicas: 2 });
    });

    it('connects with TLS and SASL when told, refusing a partial SASL setting and PLAIN in the clear in production', () => {
      const sasl = {
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'worker',
        KAFKA_SASL_PASSWORD: 's3cret',
      };
      expect(loadConfig({ ...kafka, ...sasl, KAFKA_TLS: 'true' }).kafka).toMatchObject({
        tls: true,
        sasl: { mechanism: 'scram-sha-512', username: 'worker', password: 's3cret' },
      });
      const partial = problemsOf({ ...kafka, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 's3cret' });
      expect(partial).toMatch(/^KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: all three, or none/);
      expect(partial).not.toContain('s3cret');
      const plain = { ...kafka, ...sasl, KAFKA_SASL_MECHANISM: 'plain', NODE_ENV: 'production' };
      expect(problemsOf(plain)).toMatch(/^KAFKA_SASL_MECHANISM: "plain" sends the password as it is/);
      expect(loadConfig({ ...plain, KAFKA_TLS: 'true' }).kafka?.sasl?.mechanism).toBe('plain');
      expect(problemsOf({ ...kafka, KAFKA_SASL_MECHANISM: 'gssapi' })).toMatch(/^KAFKA_SASL_MECHANISM: /);
    });

    it('refuses more in-sync replicas than copies: no write could be acknowledged', () => {
      expect(problemsOf({ ...kafka, KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '4' })).toMatch(
        /^KAFKA_MIN_INSYNC_REPLICAS: 4 exceeds KAFKA_REPLICATION_FACTOR \(3\)/,
      );
      expect(problemsOf({ ...kafka, KAFKA_MIN_INSYNC_REPLICAS: '2' })).toMatch(/^KAFKA_MIN_INSYNC_REPLICAS: 2 exceeds/);
    });
  });

  describe('where the background work runs', () => {
    const database = { DATABASE_URL: 'postgresql://app@db:5432/app' };

    it('runs it in the worker with Kafka, in the api without, four relays per outbox with the in-process broker', () => {
      expect(loadConfig({ ...database, KAFKA_BROKERS: 'kafka:9092' })).toMatchObject({
        backgroundWorkIn: 'worker',
        outbox: { relays: 1 },
      });
      expect(loadConfig(database)).toMatchObject({ backgroundWorkIn: 'api', outbox: { relays: 4 } });
      expect(loadConfig({ ...database, BACKGROUND_WORK_IN: 'worker', OUTBOX_RELAYS: '2' })).toMatchObject({
        backgroundWorkIn: 'worker',
        outbox: { relays: 2 },
      });
    });

    it('refuses a worker doing it over the embedded database, which lives in the api process', () => {
      expect(problemsOf({ BACKGROUND_WORK_IN: 'worker' })).toMatch(/^BACKGROUND_WORK_IN: .*DATABASE_URL/);
    });

    it('allows fault injection outside production only', () => {
      expect(loadConfig({ ...database, MESSAGING_FAULT_INJECTION: 'true' }).messagingFaultInjection).toBe(true);
      expect(loadConfig(database).messagingFaultInjection).toBe(false);
      expect(problemsOf({ ...database, NODE_ENV: 'production', MESSAGING_FAULT_INJECTION: 'true' })).toMatch(
        /^MESSAGING_FAULT_INJECTION: .*production/,
      );
    });
  });
});
