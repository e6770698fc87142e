import { type ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { fieldError } from '../errors/domain-error';
import { validationFailed } from '../errors/validation';

/** The path of the first string holding a NUL character (PostgreSQL refuses them in text). */
export function findNul(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'value' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = findNul(child, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}

const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(2200, 0, 1);

/** The path of the first date outside 1900-2200 (PostgreSQL refuses year 0 and below). */
export function findOutlandishDate(value: unknown, path = ''): string | undefined {
  if (value instanceof Date) {
    const t = value.getTime();
    return Number.isNaN(t) || t < EARLIEST || t >= LATEST ? path || 'value' : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findOutlandishDate(value[i], `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = findOutlandishDate(child, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The global pipe: class-validator with unknown fields refused, every error naming its field,
 * and what PostgreSQL would refuse (NUL characters in text, dates before year 1) refused first.
 */
@Injectable()
export class LifelineValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
      exceptionFactory: validationFailed,
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      this.toValidate(metadata) &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw fieldError('body', 'must be a JSON object');
    }
    const nul = findNul(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
    if (nul) {
      throw fieldError(nul, 'must not contain NUL characters');
    }
    const transformed: unknown = await super.transform(value, metadata);
    const date = findOutlandishDate(transformed);
    if (date) {
      throw fieldError(date, 'must be a date between 1900 and 2200');
    }
    return transformed;
  }
}
