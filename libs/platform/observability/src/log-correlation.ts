import { context, isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * The active span's ids, for a log line (pino's `mixin`): `trace_id` and `span_id` as the
 * OpenTelemetry log data model names them, so a line can be found from its trace and back.
 * Nothing outside a span.
 */
export function traceFields(): { trace_id?: string; span_id?: string; trace_flags?: string } {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: spanContext.traceFlags.toString(16).padStart(2, '0'),
  };
}
