import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { Telemetry } from './telemetry';

/**
 * GET /metrics (in a process with an HTTP server), and the telemetry's flush at shutdown: spans
 * still in a batch are exported before the process exits.
 */
@Module({ controllers: [MetricsController] })
export class ObservabilityModule implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await Telemetry.current()?.shutdown();
  }
}
