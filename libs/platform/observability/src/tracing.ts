import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/** The tracer of the application's own spans (outbox, relay, inbox, saga); a no-op until the SDK starts. */
export const tracer = () => trace.getTracer('nest-modulith');

/**
 * The context a W3C `traceparent` (as stored with an event) describes, to continue its trace; the
 * root context, starting a new trace, when there is none or it is malformed.
 */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** The W3C `traceparent` of `span`; undefined for a span of no trace (no SDK, no parent). */
export function traceparentOf(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return carrier.traceparent;
}

export interface SpanSpec {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent; the active context by default. */
  parent?: Context;
}

/**
 * Runs `work` in a new span, active for everything `work` does (queries, events recorded, logs).
 * The span ends when `work` settles; a throw marks it as an error, records the exception and is
 * rethrown.
 */
export function inSpan<T>(name: string, spec: SpanSpec, work: (span: Span) => Promise<T>): Promise<T> {
  const { parent = context.active(), ...options } = spec;
  return tracer().startActiveSpan(name, options, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * `inSpan` for synchronous work (a decision, the messages it produces): the span is active while
 * `work` runs, so what `work` creates (an event's traceparent) points at it.
 */
export function inSpanSync<T>(name: string, spec: SpanSpec, work: (span: Span) => T): T {
  const { parent = context.active(), ...options } = spec;
  return tracer().startActiveSpan(name, options, parent, (span) => {
    try {
      return work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

function markFailed(span: Span, error: unknown): void {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
}
