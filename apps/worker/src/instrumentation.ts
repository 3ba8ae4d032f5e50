import { Telemetry } from '@platform/observability';
import { version } from '../../../package.json';

// The first import of main.ts (see the api's). The worker has no HTTP server: the Prometheus
// exporter serves /metrics on METRICS_PORT (validated with the rest of the configuration).
Telemetry.start({
  serviceName: 'nest-modulith-worker',
  serviceVersion: version,
  metricsPort: Number(process.env.METRICS_PORT) || 9464,
});
