import { QueryFailedError } from 'typeorm';
import { BadRequestException, HttpStatus, PayloadTooLargeException } from '@nestjs/common';
import { ValidationError } from 'class-validator';
import { DomainError } from './domain-error';
import { ERROR_STATUS, ERROR_TITLE, type ErrorCode } from './error-codes';
import { isDependencyUnavailable, problemType, toProblem } from './problem-details.filter';
import { flattenValidationErrors } from './validation';

function validationError(
  property: string,
  constraints?: Record<string, string>,
  children: ValidationError[] = [],
) {
  const error = new ValidationError();
  error.property = property;
  error.constraints = constraints;
  error.children = children;
  return error;
}

describe('problem details', () => {
  it('answers 503 when PostgreSQL or Redis is away, whatever form the driver gives it', () => {
    const terminated = new QueryFailedError(
      'SELECT 1',
      [],
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      }),
    );
    const away = [
      terminated,
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('Reached the max retries per request limit'), {
        name: 'MaxRetriesPerRequestError',
      }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    ];
    for (const error of away) {
      expect([error.message, isDependencyUnavailable(error)]).toEqual([error.message, true]);
      expect(toProblem(error)).toMatchObject({ status: 503, code: 'service_unavailable' });
    }
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(isDependencyUnavailable(bug)).toBe(false);
    expect(toProblem(bug).status).toBe(500);
    const unique = new QueryFailedError(
      'INSERT',
      [],
      Object.assign(new Error('duplicate'), { code: '23505' }),
    );
    expect(toProblem(unique).status).toBe(409);
  });

  it('maps every domain error code to its status and title', () => {
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
      const problem = toProblem(new DomainError(code, 'why'), '/x');
      expect(problem).toMatchObject({
        type: problemType(code),
        title: ERROR_TITLE[code],
        status: ERROR_STATUS[code],
        detail: 'why',
        instance: '/x',
        code,
      });
    }
  });

  it('keeps the details of a domain error as extension members', () => {
    const problem = toProblem(new DomainError('conflict', 'no', { allowedTransitions: ['a'] }));
    expect(problem.allowedTransitions).toEqual(['a']);
  });

  it('turns framework HTTP errors into problems with their own status', () => {
    expect(toProblem(new PayloadTooLargeException('too big'))).toMatchObject({
      status: HttpStatus.PAYLOAD_TOO_LARGE,
      code: 'payload_too_large',
      detail: 'too big',
    });
    expect(toProblem(new BadRequestException()).code).toBe('malformed_request');
  });

  it('hides the message of an unexpected error', () => {
    const problem = toProblem(new Error('password=hunter2'));
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });

  it('names nested fields by their path', () => {
    const fields = flattenValidationErrors([
      validationError('name', { isString: 'name must be a string' }),
      validationError('lines', undefined, [
        validationError('0', undefined, [
          validationError('quantity', { min: 'quantity must not be less than 1' }),
        ]),
      ]),
      validationError('extra', { whitelistValidation: 'property extra should not exist' }),
    ]);
    expect(fields).toEqual([
      { field: 'name', messages: ['name must be a string'] },
      { field: 'lines[0].quantity', messages: ['quantity must not be less than 1'] },
      { field: 'extra', messages: ['is not a known field'] },
    ]);
  });
});
