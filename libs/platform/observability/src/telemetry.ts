import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { instrumentations } from './instrumentations';

export interface TelemetryOptions {
  /** `service.name` of the process (OTEL_SERVICE_NAME wins): nest-modulith-api, nest-modulith-worker. */
  serviceName: string;
  serviceVersion: string;
  /**
   * Where spans go instead of what the OTEL_* variables say (tests: an InMemorySpanExporter in a
   * SimpleSpanProcessor). Without it: OTLP when an endpoint or OTEL_TRACES_EXPORTER is set,
   * otherwise spans are recorded (trace ids in logs, traceparent on events) and exported nowhere.
   */
  spanProcessors?: SpanProcessor[];
  /**
   * Serve /metrics on a port of its own (the worker, which has no HTTP server); without it the
   * exporter only answers through `telemetry.metricsHandler` (the api's GET /metrics).
   */
  metricsPort?: number;
}

/** The process's telemetry: started once, before anything it instruments is loaded. */
export class Telemetry {
  private static started: Telemetry | undefined;

  private constructor(
    private readonly sdk: NodeSDK,
    readonly prometheus: PrometheusExporter,
    private readonly patches: ReturnType<typeof instrumentations>,
  ) {}

  /** The telemetry started in this process, if any (the api's /metrics asks). */
  static current(): Telemetry | undefined {
    return Telemetry.started;
  }

  /**
   * Starts the OpenTelemetry SDK: instrumentations (http, Fastify, pg, Prisma, ioredis, kafkajs),
   * the W3C trace-context propagator, a Prometheus reader for every meter. Configured by the
   * standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_*,
   * OTEL_TRACES_SAMPLER...); OTEL_SDK_DISABLED=true turns it all off. A second call returns the first.
   */
  static start(options: TelemetryOptions): Telemetry {
    if (Telemetry.started) return Telemetry.started;
    const env = process.env;
    // Logs go to stdout through pino; the SDK's own OTLP log exporter would only wait for a collector.
    env.OTEL_LOGS_EXPORTER ??= 'none';
    const exportsTraces = Boolean(
      env.OTEL_TRACES_EXPORTER || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    );
    const prometheus = new PrometheusExporter({
      preventServerStart: options.metricsPort === undefined,
      ...(options.metricsPort === undefined ? {} : { port: options.metricsPort, host: '0.0.0.0' }),
    });
    const patches = instrumentations();
    const sdk = new NodeSDK({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName,
        [ATTR_SERVICE_VERSION]: options.serviceVersion,
        'deployment.environment.name': env.NODE_ENV ?? 'development',
      }),
      // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) override the above.
      ...(options.spanProcessors
        ? { spanProcessors: options.spanProcessors }
        : exportsTraces
          ? {}
          : { spanProcessors: [new NoopSpanProcessor()] }),
      metricReaders: [prometheus],
      instrumentations: patches,
    });
    sdk.start();
    Telemetry.started = new Telemetry(sdk, prometheus, patches);
    return Telemetry.started;
  }

  /**
   * Flushes what is buffered (spans in a batch) and stops: the last step of a graceful shutdown.
   * The instrumentations are undone and the global providers unregistered, so that telemetry can
   * be started again in the same process (tests do).
   */
  async shutdown(): Promise<void> {
    if (Telemetry.started !== this) return;
    Telemetry.started = undefined;
    await this.sdk.shutdown();
    for (const instrumentation of this.patches.flat()) instrumentation.disable();
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  }
}
