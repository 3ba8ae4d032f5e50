import { type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import type { FieldError } from './problem-details';

/** The request did not match its schema; carries one error per offending field. */
export class RequestValidationFailed extends Error {
  constructor(readonly errors: FieldError[]) {
    super('The request is not valid.');
    this.name = 'RequestValidationFailed';
  }
}

const locations: Record<ArgumentMetadata['type'], FieldError['in']> = {
  body: 'body',
  query: 'query',
  param: 'path',
  custom: 'header',
};

export function toFieldErrors(error: z.ZodError, location: FieldError['in'], root = ''): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const base = [root, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        in: location,
        field: base ? `${base}.${key}` : key,
        message: 'is not an allowed field',
      }));
    }
    return [{ in: location, field: base || '(root)', message: issue.message }];
  });
}

/**
 * Validates and types one request part against a zod schema (strict objects reject unknown
 * fields). Used as `@Body(new ZodValidationPipe(Schema))`, `@Query(...)` or `@Param(...)`.
 */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(private readonly schema: Schema) {}

  transform(value: unknown, metadata: ArgumentMetadata): z.output<Schema> {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      throw new RequestValidationFailed(toFieldErrors(result.error, locations[metadata.type], metadata.data));
    }
    return result.data;
  }
}

/** The OpenAPI 3.0 form of a request or response schema, for @ApiBody / @ApiResponse. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _dialect, ...document } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
  });
  return document;
}
