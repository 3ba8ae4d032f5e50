import { Controller, Get, Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@platform/auth';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Caches } from '@platform/cache';
import { DatabaseConnection } from '@platform/database';
import { CircuitBreakers } from '@platform/resilience';

const DATABASE_PING_TIMEOUT_MS = 2_000;

/** Turns readiness off as soon as shutdown starts, so load balancers stop routing here first. */
@Injectable()
export class ShutdownSignal implements BeforeApplicationShutdown {
  draining = false;

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(DatabaseConnection) private readonly database: DatabaseConnection,
    @Inject(ShutdownSignal) private readonly shutdown: ShutdownSignal,
    @Inject(CircuitBreakers) private readonly breakers: CircuitBreakers,
    @Inject(Caches) private readonly caches: Caches,
  ) {}

  /** The process is alive and its event loop turns. Checks nothing else, so it never flaps. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * Ready for traffic: the database answers, no breaker of a required dependency is open, and the
   * process is not shutting down. An open breaker of an optional dependency (the message broker,
   * the payment gateway, Redis) is reported, as `degraded`, but keeps the instance in service. The
   * cache reports Redis (up, down, not configured) and never fails readiness: without Redis it
   * reads through to the database.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.checkDatabase(),
      () => this.checkBreakers(),
      () => this.checkCache(),
      () => this.checkNotDraining(),
    ]);
  }

  private async checkDatabase() {
    const indicator = this.indicators.check('database');
    try {
      await withTimeout(this.database.ping(), DATABASE_PING_TIMEOUT_MS);
      return indicator.up({ kind: this.database.kind });
    } catch (error) {
      return indicator.down({ kind: this.database.kind, message: (error as Error).message });
    }
  }

  private checkBreakers() {
    const indicator = this.indicators.check('breakers');
    const snapshot = this.breakers.snapshot();
    const states = Object.fromEntries(snapshot.map((breaker) => [breaker.name, breaker.state]));
    const degraded = snapshot.filter((breaker) => breaker.state !== 'closed' && breaker.isOptional).map((b) => b.name);
    const failing = snapshot.filter((breaker) => breaker.state === 'open' && !breaker.isOptional).map((b) => b.name);
    return failing.length > 0 ? indicator.down({ ...states, failing }) : indicator.up({ ...states, degraded });
  }

  private checkCache() {
    return this.indicators.check('cache').up(this.caches.health());
  }

  private checkNotDraining() {
    const indicator = this.indicators.check('lifecycle');
    return this.shutdown.draining ? indicator.down({ state: 'draining' }) : indicator.up({ state: 'serving' });
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
