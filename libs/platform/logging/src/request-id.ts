import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The request id: the caller's X-Request-Id when it is a sane token (so that one id follows a
 * request across services), a fresh UUID otherwise. The HTTP server assigns it once per request;
 * it is echoed in the response, bound to every log line and put in every problem body.
 */
export function requestIdFor(request: IncomingMessage): string {
  const offered = request.headers[REQUEST_ID_HEADER];
  return typeof offered === 'string' && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : randomUUID();
}
