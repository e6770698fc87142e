import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiProperty, ApiTooManyRequestsResponse } from '@nestjs/swagger';

export class FieldErrorDto {
  /** @example "lines[0].quantity" */
  field: string;
  /** @example ["quantity must not be less than 1"] */
  messages: string[];
}

/** RFC 9457 problem details, served as application/problem+json. */
export class ProblemDto {
  /** @example "https://lifeline.dev/problems/validation-failed" */
  type: string;
  /** @example "The request is not valid" */
  title: string;
  /** @example 400 */
  status: number;
  /** @example "name: name must be longer than or equal to 1 characters" */
  detail: string;
  /** @example "/api/v1/api-keys" */
  instance?: string;
  /** A stable, machine-readable code. @example "validation_failed" */
  code: string;
  @ApiProperty({ type: [FieldErrorDto], required: false })
  errors?: FieldErrorDto[];
}

/** The 400 and 429 every validated, rate-limited route may answer. */
export const ApiValidationResponses = () =>
  applyDecorators(
    ApiBadRequestResponse({
      description: 'Invalid input; `errors` names the fields',
      type: ProblemDto,
    }),
    ApiTooManyRequestsResponse({
      description: 'Rate limit reached; see Retry-After',
      type: ProblemDto,
    }),
  );
