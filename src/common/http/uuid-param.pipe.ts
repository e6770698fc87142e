import { ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from '../errors/domain-error';

/** Parses a UUID path parameter; a malformed one is a 400 naming the parameter. */
export function uuidParam(name = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () =>
      new DomainError('validation_failed', `${name}: must be a UUID`, {
        errors: [{ field: name, messages: ['must be a UUID'] }],
      }),
  });
}
