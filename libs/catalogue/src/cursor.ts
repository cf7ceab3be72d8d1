import { createHash } from 'node:crypto';
import { problems } from '#http';

/**
 * Opaque keyset cursors: base64url(JSON [version, scope, ...sort key]) + "." + check tag.
 *
 * The scope is a fingerprint of the listing (which endpoint, sort and filters), so a cursor from
 * another query is refused instead of silently seeking into the wrong ordering. The tag is a
 * truncated SHA-256 of the body: it catches edited, truncated or corrupted cursors. It is not a
 * secret MAC — a cursor only names a position in a public ordering, every key part is checked as a
 * bounded integer and bound as a query parameter, so a forged one can do no more than a real one.
 */
const VERSION = 1;
const TAG_CHARS = 16;
const INTEGER = /^(0|[1-9][0-9]{0,18})$/;
const MAX_BIGINT = 2n ** 63n - 1n;

/** Fingerprint of a listing's identity (endpoint, sort, normalized filters); goes into its cursors. */
export function listingScope(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

/** Encodes the last row's sort key (bigint columns as decimal strings) into a cursor. */
export function encodeCursor(scope: string, key: readonly string[]): string {
  const body = Buffer.from(JSON.stringify([VERSION, scope, ...key])).toString('base64url');
  return `${body}.${tag(body)}`;
}

/**
 * Decodes a cursor made by encodeCursor for the same scope and returns its `keyLength` key parts
 * (non-negative integers as strings); anything else is a 400 `invalid-cursor` problem.
 */
export function decodeCursor(cursor: string, scope: string, keyLength: number): string[] {
  const [body, check, extra] = cursor.split('.');
  if (extra !== undefined || !body || !check || check !== tag(body)) throw invalidCursor();
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parts) || parts[0] !== VERSION || parts.length !== 2 + keyLength) throw invalidCursor();
  if (parts[1] !== scope) {
    throw problems.badRequest(
      'invalid-cursor',
      'This cursor belongs to another listing (endpoint, sort or filters differ); start again without it',
    );
  }
  const key = parts.slice(2);
  const valid = (part: unknown): part is string =>
    typeof part === 'string' && INTEGER.test(part) && BigInt(part) <= MAX_BIGINT;
  if (!key.every(valid)) throw invalidCursor();
  return key;
}

function tag(body: string): string {
  return createHash('sha256').update(`heirloom-cursor:${body}`).digest('base64url').slice(0, TAG_CHARS);
}

function invalidCursor() {
  return problems.badRequest(
    'invalid-cursor',
    'The cursor is malformed or was altered; use nextCursor as given',
  );
}
