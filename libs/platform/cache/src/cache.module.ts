import { Global, Logger, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { CircuitBreakers } from '@platform/resilience';
import { Caches } from './caches';

function createCaches(config: AppConfig, breakers: CircuitBreakers): Caches {
  const logger = new Logger('Cache');
  const { l1MaxEntries, l1TtlMs } = config.cache;
  if (!config.redisUrl) {
    logger.log(
      `L1 only (${l1MaxEntries} entries, ${l1TtlMs} ms): invalidations stay in this process (set REDIS_URL for L2)`,
    );
  }
  return new Caches({ redisUrl: config.redisUrl, ...config.cache, breakers, logger });
}

/**
 * The process's one Caches, for every module: one L1 bound for the whole process, one pair of
 * Redis connections (commands, invalidation subscription) when REDIS_URL is set. Provided by a
 * factory because its constructor takes plain options. The connections close on application
 * shutdown, after the inbox consumers have stopped (they stop before it), so invalidations made
 * while they drain still reach Redis.
 */
@Global()
@Module({
  providers: [{ provide: Caches, useFactory: createCaches, inject: [APP_CONFIG, CircuitBreakers] }],
  exports: [Caches],
})
export class CacheModule {}
