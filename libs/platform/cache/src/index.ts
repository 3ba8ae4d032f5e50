export {
  Caches,
  REDIS_BREAKER,
  type CachesOptions,
  type RegionOptions,
  type RedisState,
  type CacheStats,
} from './caches';
export { CacheRegion } from './cache-region';
export { CacheInvalidationFailed, type LoadMissing, type ResolvedRegionOptions } from './cache-engine';
export type { RegionStats, LatencyStats, CacheLayer } from './cache-metrics';
export type { CacheLogger } from './redis-l2';
export { CacheModule } from './cache.module';
