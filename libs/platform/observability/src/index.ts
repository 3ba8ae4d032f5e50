export { Telemetry, type TelemetryOptions } from './telemetry';
export { contextFromTraceparent, inSpan, inSpanSync, traceparentOf, tracer, type SpanSpec } from './tracing';
export { traceFields } from './log-correlation';
export { ObservabilityModule } from './observability.module';
