import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * One request header, by name, that (unlike Nest's @Headers) takes pipes:
 * `@RequestHeader('Idempotency-Key', new ZodValidationPipe(schema))`. Validation errors name the header.
 */
export const RequestHeader = createParamDecorator((name: string, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
});
