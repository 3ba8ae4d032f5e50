import { HttpException, HttpStatus } from '@nestjs/common';
import { IssuerUnavailable } from '@platform/auth';
import { BusinessRuleViolation, ResourceNotFound, StateConflict } from '@platform/ddd';
import { kebabCase, problemType, sentenceCase, type ProblemDetails } from './problem-details';
import { MalformedBody } from './json-body';
import { RequestValidationFailed } from './request-validation';

/** Errors the router raises before Nest sees the request (bad URL, over-long parameter) carry a 4xx status. */
interface ServerError {
  statusCode: number;
  message: string;
}

const isServerError = (error: unknown): error is ServerError => {
  const statusCode = (error as Partial<ServerError> | null)?.statusCode;
  return error instanceof Error && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
};

const statusTitles: Partial<Record<number, { slug: string; title: string }>> = {
  [HttpStatus.BAD_REQUEST]: { slug: 'bad-request', title: 'Bad request' },
  [HttpStatus.UNAUTHORIZED]: { slug: 'unauthorized', title: 'Unauthorized' },
  [HttpStatus.FORBIDDEN]: { slug: 'forbidden', title: 'Forbidden' },
  [HttpStatus.NOT_FOUND]: { slug: 'not-found', title: 'Not found' },
  [HttpStatus.METHOD_NOT_ALLOWED]: { slug: 'method-not-allowed', title: 'Method not allowed' },
  [HttpStatus.CONFLICT]: { slug: 'conflict', title: 'Conflict' },
  [HttpStatus.PAYLOAD_TOO_LARGE]: { slug: 'payload-too-large', title: 'Payload too large' },
  [HttpStatus.URI_TOO_LONG]: { slug: 'uri-too-long', title: 'URI too long' },
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: { slug: 'unsupported-media-type', title: 'Unsupported media type' },
  [HttpStatus.TOO_MANY_REQUESTS]: { slug: 'too-many-requests', title: 'Too many requests' },
  [HttpStatus.SERVICE_UNAVAILABLE]: { slug: 'service-unavailable', title: 'Service unavailable' },
};

function fromStatus(status: number, detail?: string): ProblemDetails {
  const known = statusTitles[status] ?? { slug: `http-${status}`, title: `HTTP ${status}` };
  return { type: problemType(known.slug), title: known.title, status, ...(detail ? { detail } : {}) };
}

/**
 * Maps any error to problem details. Only errors known to be safe to show keep their message;
 * everything else is a 500 with a generic body (the error itself goes to the log).
 */
export function toProblem(error: unknown): ProblemDetails {
  if (error instanceof RequestValidationFailed) {
    return {
      type: problemType('validation-failed'),
      title: 'Request validation failed',
      status: HttpStatus.BAD_REQUEST,
      detail: 'One or more fields are invalid; see errors.',
      errors: error.errors,
    };
  }
  if (error instanceof MalformedBody) {
    return {
      type: problemType(error.reason),
      title: error.reason === 'malformed-json' ? 'Malformed JSON' : 'Forbidden property',
      status: HttpStatus.BAD_REQUEST,
      detail: error.message,
    };
  }
  if (error instanceof BusinessRuleViolation) {
    return {
      type: problemType(kebabCase(error.rule)),
      title: sentenceCase(error.rule),
      status: HttpStatus.UNPROCESSABLE_ENTITY,
      detail: error.message,
      rule: error.rule,
    };
  }
  if (error instanceof ResourceNotFound) {
    return fromStatus(HttpStatus.NOT_FOUND, error.message);
  }
  if (error instanceof StateConflict) {
    return {
      type: problemType(error.reason),
      title: sentenceCase(error.reason),
      status: HttpStatus.CONFLICT,
      detail: error.message,
    };
  }
  if (error instanceof IssuerUnavailable) {
    return {
      type: problemType('token-issuer-unavailable'),
      title: 'Token issuer unavailable',
      status: HttpStatus.SERVICE_UNAVAILABLE,
      detail: 'The keys that verify bearer tokens cannot be fetched right now; retry shortly.',
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return fromStatus(status, status < 500 ? error.message : undefined);
  }
  if (isServerError(error)) {
    return fromStatus(error.statusCode);
  }
  return {
    type: problemType('internal-error'),
    title: 'Internal server error',
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    detail: 'The server could not complete the request; it has been logged.',
  };
}
