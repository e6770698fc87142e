import { ParseUUIDPipe } from '@nestjs/common';
import { fieldError } from '../errors/domain-error';

/** Parses a UUID path parameter; a malformed one is a 400 naming the parameter. */
export function uuidParam(name = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () => fieldError(name, 'must be a UUID'),
  });
}
