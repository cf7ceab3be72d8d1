import { describe, expect, it } from 'vitest';
import { requestIdFor } from './request-guards.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const idFor = (value?: string | string[]) => requestIdFor({ headers: { 'x-request-id': value } as never });

describe('requestIdFor', () => {
  it('keeps a short id of letters, digits and . _ : -', () => {
    expect(idFor('abc-123')).toBe('abc-123');
    expect(idFor('trace:01H.x_y')).toBe('trace:01H.x_y');
    expect(idFor('a'.repeat(64))).toBe('a'.repeat(64));
  });

  it('makes a fresh UUID for a missing, empty, long, repeated or unsafe id', () => {
    for (const value of [undefined, '', 'a'.repeat(65), ['a', 'b'], '<script>', 'a b', 'a\r\nb', 'é']) {
      expect(idFor(value)).toMatch(UUID);
    }
    expect(idFor()).not.toBe(idFor());
  });
});
