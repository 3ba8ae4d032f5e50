import { BadRequestException, NotFoundException } from '@nestjs/common';
import { BusinessRuleViolation, ResourceNotFound, StateConflict } from '@platform/ddd';
import { MalformedBody } from './json-body';
import { toProblem } from './problem-mapping';
import { RequestValidationFailed } from './request-validation';

describe('toProblem', () => {
  it('names a broken business rule in the type, title and rule', () => {
    const problem = toProblem(
      new BusinessRuleViolation({ name: 'OrderMustHaveAtLeastOneLine', message: 'no lines', isBroken: () => true }),
    );
    expect(problem).toEqual({
      type: '/problems/order-must-have-at-least-one-line',
      title: 'Order must have at least one line',
      status: 422,
      detail: 'no lines',
      rule: 'OrderMustHaveAtLeastOneLine',
    });
  });

  it('keeps field errors of a validation failure', () => {
    const errors = [{ in: 'body' as const, field: 'items', message: 'too short' }];
    expect(toProblem(new RequestValidationFailed(errors))).toMatchObject({ status: 400, errors });
  });

  it('gives one title per type, whatever the resource', () => {
    expect(toProblem(new ResourceNotFound('Order', 'x'))).toEqual({
      type: '/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: "Order 'x' was not found.",
    });
    expect(toProblem(new NotFoundException('Cannot GET /x')).title).toBe('Not found');
  });

  it('uses the reason of a conflict as its type', () => {
    expect(toProblem(new StateConflict('idempotency-key-reused', 'used'))).toMatchObject({
      type: '/problems/idempotency-key-reused',
      title: 'Idempotency key reused',
      status: 409,
    });
  });

  it('maps body errors and the server’s own refusals by status', () => {
    expect(toProblem(new MalformedBody('forbidden-property', 'no')).type).toBe('/problems/forbidden-property');
    const tooLong = Object.assign(new Error("'/x' is exceeding the max param length"), {
      statusCode: 414,
      code: 'FST_ERR_MAX_PARAM_LENGTH',
    });
    expect(toProblem(tooLong)).toEqual({ type: '/problems/uri-too-long', title: 'URI too long', status: 414 });
    expect(toProblem(new BadRequestException('bad')).status).toBe(400);
  });

  it('hides everything about an unexpected error', () => {
    const problem = toProblem(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(problem).toEqual({
      type: '/problems/internal-error',
      title: 'Internal server error',
      status: 500,
      detail: 'The server could not complete the request; it has been logged.',
    });
  });

  it('does not trust a statusCode on an unexpected error to be shown as 5xx detail', () => {
    const upstream = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { statusCode: 502 });
    expect(toProblem(upstream)).toMatchObject({ status: 500, type: '/problems/internal-error' });
  });
});
