export { createHttpApp, type ApiDescription } from './http-app';
export { ProblemDetailsFilter, sendProblem } from './problem-details.filter';
export { toProblem } from './problem-mapping';
export {
  type ProblemDetails,
  type FieldError,
  PROBLEM_CONTENT_TYPE,
  problemType,
  kebabCase,
  sentenceCase,
} from './problem-details';
export { ZodValidationPipe, RequestValidationFailed, openApiSchema, toFieldErrors } from './request-validation';
export { ProblemResponses } from './openapi';
export { RequestHeader } from './request-header';
