import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { fieldError } from '../errors/domain-error';

export const MAX_PAGE_SIZE = 200;

export class PageQueryDto {
  /** How many items to return (1-200). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 50;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Keyset position: opaque to clients, so its shape may change without breaking them. */
export function encodeCursor(position: string[]): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export type CursorPart = 'timestamp' | 'uuid' | 'text';

const PART_CHECK: Record<CursorPart, (v: unknown) => boolean> = {
  // Exactly as toISOString() wrote it: no rolled-over 30 February, no year 0.
  timestamp: (v) =>
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}T/.test(v) &&
    !Number.isNaN(Date.parse(v)) &&
    new Date(v).toISOString() === v,
  uuid: (v) =>
    typeof v === 'string' &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  text: (v) => typeof v === 'string' && v.length <= 200 && !v.includes('\u0000'),
};

/** Reads a cursor this API issued; anything else (forged, truncated) is a 400 on `cursor`. */
export function decodeCursor(cursor: string, parts: CursorPart[]): string[] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === parts.length &&
      parts.every((p, i) => PART_CHECK[p](value[i]))
    ) {
      return value as string[];
    }
  } catch {
    // fall through
  }
  throw fieldError('cursor', 'is not a cursor this API returned');
}

/** Builds a page from `limit + 1` fetched rows. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  position: (row: R) => string[],
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return {
    data: kept.map(map),
    nextCursor: more ? encodeCursor(position(kept[kept.length - 1])) : null,
  };
}
