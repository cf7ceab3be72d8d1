import { describe, expect, it } from 'vitest';
import { isSubstringSearch, requiredGrams, substringTerms, textPredicate } from './text-match.js';

describe('text matching', () => {
  it('sends text with CJK characters through substring matching, other text through full-text search', () => {
    expect(isSubstringSearch('鹤')).toBe(true);
    expect(isSubstringSearch('golden 仙鹤')).toBe(true);
    expect(isSubstringSearch('ひらがな')).toBe(true);
    expect(isSubstringSearch('한국')).toBe(true);
    expect(isSubstringSearch('golden "fox" -owl')).toBe(false);
    expect(isSubstringSearch('café')).toBe(false);
  });

  it('needs the bigrams of each CJK run, or the lone character of a one-character run', () => {
    expect(requiredGrams(['鹤'])).toEqual(['鹤']);
    expect(requiredGrams(['仙鹤'])).toEqual(['仙鹤']);
    expect(requiredGrams(['白色仙鹤'])).toEqual(['仙鹤', '白色', '色仙'].sort());
    expect(requiredGrams(['gold鹤', 'fox'])).toEqual(['鹤']);
    expect(requiredGrams(['𠀀𠀁'])).toEqual(['𠀀𠀁']); // outside the BMP: whole characters, not halves
  });

  it('splits terms at spaces, drops quotes and lower-cases', () => {
    expect(substringTerms(' "仙鹤"  Gold 仙鹤 ')).toEqual(['仙鹤', 'gold']);
  });

  it('binds every value as a parameter', () => {
    const params: unknown[] = [];
    const p = (value: unknown, cast = '') => {
      params.push(value);
      return `$${params.length}${cast}`;
    };
    expect(textPredicate("鹤 o'neil", p)).toBe(
      `t.cjk_grams @> $1::text[] AND strpos(lower(t.name || ' ' || t.description), $2) > 0 AND ` +
        `strpos(lower(t.name || ' ' || t.description), $3) > 0`,
    );
    expect(params).toEqual([['鹤'], '鹤', "o'neil"]);
    expect(textPredicate('fox', () => '$9')).toBe(`t.search @@ websearch_to_tsquery('simple', $9)`);
  });
});
