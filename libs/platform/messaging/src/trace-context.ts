import { context, propagation } from '@opentelemetry/api';

/**
 * The W3C traceparent of the active span, to store with an event when it is recorded, so that
 * whoever handles the event continues this trace. Undefined when no trace is active (no
 * OpenTelemetry SDK registered, or outside any span).
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}
