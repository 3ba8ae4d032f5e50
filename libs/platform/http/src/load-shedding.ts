import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemType, type ProblemDetails } from './problem-details';

export interface LoadSheddingOptions {
  /** Mean event-loop delay (ms) over the last sample above which requests are shed; 0: never. */
  maxEventLoopDelayMs: number;
  /** Requests in progress above which new ones are shed; 0: no limit. */
  maxInFlight: number;
  retryAfterSeconds: number;
  /** Paths starting with these are never shed (health checks must answer, especially under load). */
  neverShed: readonly string[];
}

/**
 * Load shedding at the edge: when the process is saturated (the event loop lags, or too many
 * requests are already in progress), new requests get 503 with Retry-After at once, instead of
 * queueing until every caller times out. Health routes are never shed. Event-loop delay comes from
 * @fastify/under-pressure; the in-flight count is ours (it is not one of its measures).
 */
export async function shedLoad(fastify: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  const exempt = (request: FastifyRequest) => options.neverShed.some((prefix) => request.url.startsWith(prefix));
  const shed = (request: FastifyRequest, reply: FastifyReply, reason: string): ProblemDetails => {
    void reply
      .status(503)
      .header('retry-after', String(options.retryAfterSeconds))
      .header('content-type', PROBLEM_CONTENT_TYPE);
    return {
      type: problemType('overloaded'),
      title: 'Overloaded',
      status: 503,
      detail: `The server is shedding load (${reason}); retry after ${options.retryAfterSeconds} s.`,
      instance: request.url.split('?')[0],
      requestId: request.id,
    };
  };

  if (options.maxEventLoopDelayMs > 0) {
    // under-pressure sends whatever its pressureHandler returns, and lets the request through when it
    // returns nothing (index.js, handlePressure); its typings only allow void, hence the cast.
    const pressureHandler = (request: FastifyRequest, reply: FastifyReply) =>
      exempt(request) ? undefined : shed(request, reply, 'event loop delay');
    await fastify.register(underPressure, {
      maxEventLoopDelay: options.maxEventLoopDelayMs,
      sampleInterval: 100,
      pressureHandler: pressureHandler as unknown as (request: FastifyRequest, reply: FastifyReply) => void,
    });
  }

  if (options.maxInFlight > 0) {
    let inFlight = 0;
    fastify.addHook('onRequest', async (request, reply) => {
      if (exempt(request)) {
        return;
      }
      if (inFlight >= options.maxInFlight) {
        return reply.send(shed(request, reply, 'too many requests in progress'));
      }
      inFlight += 1;
      // 'close' fires once, whether the response finished or the client went away.
      reply.raw.once('close', () => {
        inFlight -= 1;
      });
    });
  }
}
