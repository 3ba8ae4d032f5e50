import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from './problem-details';
import { toProblem } from './problem-mapping';

const logger = new Logger('HttpErrors');

/** Sends an error as problem+json, logging server-side failures with their cause. */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const requestId = request.id;
  const problem: ProblemDetails = { ...toProblem(error), instance: request.url.split('?')[0], requestId };
  if (problem.status >= 500) {
    logger.error({ err: error, requestId }, 'Request failed');
  }
  if (reply.sent) {
    return;
  }
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
}

/** Every error that reaches Nest leaves as application/problem+json (RFC 9457). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
