import { HttpStatus } from '@nestjs/common';

/** Every error Lifeline answers with, and its HTTP status. One table for the whole API. */
export const ERROR_STATUS = {
  validation_failed: HttpStatus.BAD_REQUEST,
  malformed_request: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  method_not_allowed: HttpStatus.METHOD_NOT_ALLOWED,
  not_acceptable: HttpStatus.NOT_ACCEPTABLE,
  conflict: HttpStatus.CONFLICT,
  precondition_failed: HttpStatus.PRECONDITION_FAILED,
  payload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  uri_too_long: HttpStatus.URI_TOO_LONG,
  headers_too_large: 431,
  request_timeout: HttpStatus.REQUEST_TIMEOUT,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  precondition_required: HttpStatus.PRECONDITION_REQUIRED,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  internal_error: HttpStatus.INTERNAL_SERVER_ERROR,
  service_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
} as const satisfies Record<string, HttpStatus | 431>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLE = {
  validation_failed: 'The request is not valid',
  malformed_request: 'The request could not be read',
  unauthenticated: 'An API key is required',
  forbidden: 'This API key may not do that',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  not_acceptable: 'Not acceptable',
  conflict: 'Conflict',
  precondition_failed: 'The resource changed since you read it',
  payload_too_large: 'The request body is too large',
  uri_too_long: 'The URL is too long',
  headers_too_large: 'The request headers are too large',
  request_timeout: 'The request took too long to arrive',
  unsupported_media_type: 'Unsupported media type',
  unprocessable: 'The request cannot be processed',
  precondition_required: 'If-Match is required',
  rate_limited: 'Too many requests',
  internal_error: 'Internal error',
  service_unavailable: 'Service unavailable',
} as const satisfies Record<ErrorCode, string>;

/** The error code an HTTP status falls back to when something other than a DomainError failed. */
export function codeForStatus(status: number): ErrorCode {
  // A framework 400 (bad JSON, bad header) is about the request's form, not its fields.
  if (status === 400) return 'malformed_request';
  const found = (Object.entries(ERROR_STATUS) as [ErrorCode, number][]).find(
    ([, s]) => s === status,
  );
  if (found) return found[0];
  return status >= 500 ? 'internal_error' : 'malformed_request';
}
