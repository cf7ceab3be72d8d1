import { describe, expect, it } from 'vitest';
import { DomainError } from '#http';
import { decodeCursor, encodeCursor, listingScope } from './cursor.js';

const scope = listingScope({ listing: 'tokens', sort: 'newest', q: 'fox' });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof DomainError ? `${error.status} ${error.code}` : String(error);
  }
  return undefined;
}

describe('keyset cursors', () => {
  it('round-trips a sort key and is URL-safe', () => {
    const cursor = encodeCursor(scope, ['1999', '9223372036854775807']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, scope, 2)).toEqual(['1999', '9223372036854775807']);
  });

  it('fingerprints the listing identity', () => {
    expect(listingScope({ a: 1, b: 2 })).not.toBe(listingScope({ a: 1, b: 3 }));
    expect(listingScope({ a: 1, b: undefined })).toBe(listingScope({ a: 1 }));
  });

  it('refuses cursors of another listing (other filters, sort or endpoint)', () => {
    const cursor = encodeCursor(scope, ['42']);
    const other = listingScope({ listing: 'tokens', sort: 'newest', q: 'owl' });
    expect(codeOf(() => decodeCursor(cursor, other, 1))).toBe('400 invalid-cursor');
    expect(codeOf(() => decodeCursor(cursor, scope, 2))).toBe('400 invalid-cursor');
  });

  it('refuses edited, truncated or hand-made cursors', () => {
    const cursor = encodeCursor(scope, ['42']);
    const [body, tag] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify([1, scope, '41'])).toString('base64url');
    const cases = [
      `${forged}.${tag}`,
      `${body}.${tag.slice(1)}`,
      `${body.slice(0, -2)}.${tag}`,
      body,
      `${cursor}.x`,
      '',
      'not a cursor',
    ];
    for (const bad of cases) expect(codeOf(() => decodeCursor(bad, scope, 1))).toBe('400 invalid-cursor');
  });

  it('refuses key parts that are not non-negative bigints, even with a valid tag', () => {
    for (const key of ['-1', '1.5', '01', '9223372036854775808', 'NaN']) {
      expect(codeOf(() => decodeCursor(encodeCursor(scope, [key]), scope, 1))).toBe('400 invalid-cursor');
    }
  });
});
