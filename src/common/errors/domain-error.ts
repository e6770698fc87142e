import type { ErrorCode } from './error-codes';

/** One offending input field, named by its path (`lines[0].quantity`). */
export interface FieldError {
  field: string;
  messages: string[];
}

export interface DomainErrorDetails {
  /** Offending fields, for validation errors. */
  errors?: FieldError[];
  /** Any other members the problem document should carry (e.g. `allowedTransitions`). */
  [member: string]: unknown;
}

/** What domain code throws; the global filter turns it into problem+json by the error table. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** An error about one input field: the problem names it in `errors` and in its detail. */
export function fieldError(
  field: string,
  message: string,
  code: 'validation_failed' | 'unprocessable' = 'validation_failed',
): DomainError {
  return new DomainError(code, `${field}: ${message}`, {
    errors: [{ field, messages: [message] }],
  });
}
