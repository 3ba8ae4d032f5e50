import type { IncomingMessage } from 'node:http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { PrismaInstrumentation } from '@prisma/instrumentation';

/** Prisma's spans that repeat what pg's span of the same statement says, or time a step of no interest. */
const PRISMA_DUPLICATE_SPANS = /^prisma:client:(db_query|serialize|connect)$/;

/** Probes and scrapes: frequent, uninteresting, and they would drown the traces of real requests. */
const UNTRACED_PATHS = /^\/(health\/|metrics\b)/;

/**
 * What is instrumented, each by its library's own instrumentation: incoming and outgoing HTTP
 * (node:http, and fetch through undici: the payment gateway calls), Fastify's routes (through its diagnostics channel, so it
 * also works where module loading is not hooked), PostgreSQL through pg, Prisma's own spans,
 * Redis through ioredis and Kafka through kafkajs.
 */
export function instrumentations(): NonNullable<NodeSDKConfiguration['instrumentations']> {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
    }),
    // fetch (the payment gateway client): Node's fetch is undici, which the http module does not see.
    new UndiciInstrumentation(),
    new FastifyOtelInstrumentation({
      registerOnInitialization: true,
      ignorePaths: (route: { url: string }) => UNTRACED_PATHS.test(route.url),
      // The request and its handler, not a span for each of the hooks every request runs through
      // (security headers, rate limit, request id, ...): they cost CPU on every request.
      instrumentHooks: false,
      // Built against an older @opentelemetry/instrumentation than the SDK's: the same interface.
    }) as unknown as HttpInstrumentation,
    // Taking a pooled connection is not a call to the database: no span for it.
    new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    // One span per statement, pg's (it carries the SQL): Prisma's own span for the same round trip,
    // and the one for serializing its result, would double the spans of every query.
    new PrismaInstrumentation({ ignoreSpanTypes: [PRISMA_DUPLICATE_SPANS] }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    new KafkaJsInstrumentation(),
  ];
}
