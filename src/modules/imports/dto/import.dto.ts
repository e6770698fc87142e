import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

export class ImportQueryDto {
  /** `true`: check every row and answer every problem, and write nothing. */
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  dryRun?: boolean;
}

export class ImportRowErrorDto {
  /** The spreadsheet's row number (the header is row 1). */
  row: number;
  /** @example "item" */
  column: string;
  /** @example "N95 mask" */
  value: string;
  /** @example "'N95 mask' is not in the catalogue; did you mean 'Respirator N95'?" */
  message: string;
}

export class ImportedRequestDto {
  /** The file's own reference for the request. @example "MOH-SO-001" */
  requestRef: string;
  recipientCountry: string;
  lines: number;
  /** Once imported. */
  id?: string;
  /** Once imported. @example "REQ-2020-000123" */
  reference?: string;
}

export class ImportResultDto {
  dryRun: boolean;
  valid: boolean;
  /** Rows under the header. */
  rows: number;
  errors: ImportRowErrorDto[];
  requests: ImportedRequestDto[];
}
