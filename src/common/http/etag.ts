import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiPreconditionFailedResponse, ApiResponse } from '@nestjs/swagger';
import { DomainError } from '../errors/domain-error';
import { ProblemDto } from './problem.dto';

/** A resource version as a strong ETag. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Checks If-Match against the current version: missing is 428, stale is 412. */
export function assertIfMatch(header: string | string[] | undefined, currentVersion: number): void {
  if (header === undefined || header === '') {
    throw new DomainError(
      'precondition_required',
      'Send If-Match with the ETag you last read, so a concurrent change is not overwritten.',
    );
  }
  const tags = (Array.isArray(header) ? header.join(',') : header).split(',').map((t) => t.trim());
  const current = etagOf(currentVersion);
  if (!tags.some((t) => t === '*' || t === current || t === `W/${current}`)) {
    throw new DomainError(
      'precondition_failed',
      `If-Match ${tags.join(', ')} does not match the current version ${current}: read it again.`,
      { currentETag: current },
    );
  }
}

/** Documents a write that needs If-Match: the header, 412 when stale, 428 when missing. */
export const ApiIfMatch = () =>
  applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: true,
      description: 'The ETag of the version you read',
    }),
    ApiPreconditionFailedResponse({ description: 'Changed since you read it', type: ProblemDto }),
    ApiResponse({ status: 428, description: 'If-Match missing', type: ProblemDto }),
  );
