import { Global, Logger, Module } from '@nestjs/common';
import { CircuitBreakers } from './circuit-breakers';

/**
 * The process's one CircuitBreakers registry, for every module: a breaker per dependency must be
 * shared by all its callers, so the registry is global. Provided by a factory because its
 * constructor takes a logger interface, which Nest cannot resolve by type. Breakers shut down
 * with the application (onApplicationShutdown), after the consumers have drained.
 */
@Global()
@Module({
  providers: [{ provide: CircuitBreakers, useFactory: () => new CircuitBreakers(new Logger(CircuitBreakers.name)) }],
  exports: [CircuitBreakers],
})
export class ResilienceModule {}
