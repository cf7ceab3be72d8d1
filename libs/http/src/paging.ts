import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** A page-size query parameter: an optional integer from 1 to `max` (query strings arrive as text). */
export function PageLimit(max: number, defaultSize: number): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: max, default: defaultSize }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(max),
  );
}

/**
 * A keyset page from rows read in order with `LIMIT limit + 1`: the first `limit` as items, and the
 * cursor after the last of them when the extra row shows that more follow.
 */
export function keysetPage<R, T>(
  rows: readonly R[],
  limit: number,
  view: (row: R) => T,
  cursorAfter: (last: R) => string,
): { items: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => view(row)),
    nextCursor: rows.length > limit ? cursorAfter(page[page.length - 1]) : null,
  };
}

// Keyset cursors over (timestamptz, uuid). The time travels as whole microseconds since 1970, which
// PostgreSQL keeps exactly and a JS Date would round to milliseconds (skipping or repeating rows).
const TIME_ID_CURSOR = /^(-?[0-9]{1,17})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The `cursor` query parameter of a listing paged by `timeIdCursor`. */
export function TimeIdCursor(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description: 'nextCursor of the previous page, unchanged' }),
    IsOptional(),
    Matches(TIME_ID_CURSOR, { message: 'cursor must be a nextCursor returned by this listing' }),
  );
}

/** SQL for a timestamptz column as text of whole microseconds since 1970, to make cursors from. */
export function microsSql(column: string): string {
  return `(extract(epoch FROM ${column}) * 1000000)::bigint::text`;
}

/** SQL for the timestamptz a cursor's microseconds (the bigint parameter `param`) stand for. */
export function timeOfMicrosSql(param: string): string {
  return `('epoch'::timestamptz + ${param}::bigint * interval '1 microsecond')`;
}

/** The cursor after a row: its time (selected with `microsSql`) and id. */
export function timeIdCursor(micros: string, id: string): string {
  return `${micros}_${id}`;
}

/** The time (microseconds) and id of a cursor made by `timeIdCursor`; nulls when there is none. */
export function parseTimeIdCursor(cursor: string | undefined): [string | null, string | null] {
  const match = cursor === undefined ? null : TIME_ID_CURSOR.exec(cursor);
  return match ? [match[1], match[2]] : [null, null];
}
