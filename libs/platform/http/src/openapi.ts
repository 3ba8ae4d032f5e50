import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', example: '/problems/validation-failed' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          in: { type: 'string', enum: ['body', 'query', 'path', 'header'] },
          field: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
};

/** Documents the problem+json responses a route can give, by status. */
export const ProblemResponses = (...statuses: number[]): MethodDecorator =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: 'Problem details (RFC 9457)',
        content: { 'application/problem+json': { schema: problemSchema } },
      }),
    ),
  );
