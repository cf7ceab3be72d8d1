/**
 * How a search text matches tokens. Latin (and other space-separated) text keeps full-text
 * semantics: words, "phrases", -not, or. Text with Chinese, Japanese or Korean characters, which
 * has no spaces between words, matches by substring: each space-separated term must occur in the
 * name or description. The GIN index on `cjk_grams` (migration CatalogueCjkSearch) narrows the rows
 * by the terms' CJK bigrams (a lone character: its unigram); the substring test then decides.
 */
const CJK = /[\u2E80-\u2FDF\u3040-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\u{20000}-\u{2FFFF}]/u;
const CJK_RUNS = /[\u2E80-\u2FDF\u3040-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\u{20000}-\u{2FFFF}]+/gu;

/** Whether the text goes through substring matching (it has a CJK character). */
export function isSubstringSearch(q: string): boolean {
  return CJK.test(q);
}

/** Lower-cased terms of a substring search: split at spaces, quotes dropped, duplicates removed. */
export function substringTerms(q: string): string[] {
  const terms = q
    .replaceAll('"', ' ')
    .toLowerCase()
    .split(/\s+/u)
    .filter((term) => term.length > 0);
  return [...new Set(terms)];
}

/** The grams every match must have: bigrams of each CJK run, or the character of a one-character run. */
export function requiredGrams(terms: readonly string[]): string[] {
  const grams = new Set<string>();
  for (const term of terms) {
    for (const [run] of term.matchAll(CJK_RUNS)) {
      const chars = [...run];
      if (chars.length === 1) grams.add(chars[0]);
      for (let i = 0; i + 1 < chars.length; i++) grams.add(chars[i] + chars[i + 1]);
    }
  }
  return [...grams].sort();
}

/**
 * The SQL predicate for `q` on tokens `t`; `p` binds a parameter and returns its placeholder.
 * Substring terms are matched with strpos (no LIKE wildcards to escape).
 */
export function textPredicate(q: string, p: (value: unknown, cast?: string) => string): string {
  if (!isSubstringSearch(q)) return `t.search @@ websearch_to_tsquery('simple', ${p(q)})`;
  const terms = substringTerms(q);
  const grams = `t.cjk_grams @> ${p(requiredGrams(terms), '::text[]')}`;
  const substrings = terms.map((term) => `strpos(lower(t.name || ' ' || t.description), ${p(term)}) > 0`);
  return [grams, ...substrings].join(' AND ');
}
