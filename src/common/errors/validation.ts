import type { ValidationError } from 'class-validator';
import { DomainError, type FieldError } from './domain-error';

/** Flattens class-validator's nested errors into one entry per field path. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const path = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    if (error.constraints) {
      out.push({
        field: path,
        messages: Object.values(error.constraints).map((m) =>
          m.replace(/^property \S+ should not exist$/, 'is not a known field'),
        ),
      });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, path));
  }
  return out;
}

export function validationFailed(errors: ValidationError[]): DomainError {
  const fields = flattenValidationErrors(errors);
  return new DomainError(
    'validation_failed',
    fields.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; '),
    { errors: fields },
  );
}
