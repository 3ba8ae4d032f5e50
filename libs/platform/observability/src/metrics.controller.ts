import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { Public } from '@platform/auth';
import { Telemetry } from './telemetry';

const serializer = new PrometheusSerializer();

/**
 * GET /metrics: every OpenTelemetry metric of the process in the Prometheus text format, read
 * when scraped (observable gauges, such as the outbox backlog, run their callbacks then).
 */
@ApiExcludeController()
// Scraped without credentials: keep it on the internal network (docs/security.md, API8).
@Public()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    const telemetry = Telemetry.current();
    if (!telemetry) {
      throw new NotFoundException('Telemetry is not started in this process (OTEL_SDK_DISABLED, or a test without it)');
    }
    const { resourceMetrics, errors } = await telemetry.prometheus.collect();
    return (
      serializer.serialize(resourceMetrics) +
      (errors.length > 0 ? `# ${errors.length} error(s) while collecting: ${errors.map(String).join('; ')}\n` : '')
    );
  }
}
