import { describe, expect, it } from 'vitest';
import { DomainError } from '#http';
import {
  attributeContainments,
  buildTokenQuery,
  checkTokenSearch,
  driverCandidates,
  type TokenSearch,
} from './token-query.js';

const base: TokenSearch = { attributes: [], sort: 'newest', limit: 24 };

describe('token search query', () => {
  it('filters on tokens only and fetches one extra row to know whether a next page exists', () => {
    const { text, params } = buildTokenQuery({ ...base, q: 'red fox', creatorId: 'a', collectionId: 'b' });
    expect(text).toContain(`t.search @@ websearch_to_tsquery('simple', $1)`);
    expect(text).toContain('t.creator_id = $2::uuid');
    expect(text).toContain('t.collection_id = $3::uuid');
    expect(text).toMatch(/SELECT t\.seq\s+FROM tokens t/); // keys first, rows after
    expect(text).toMatch(/ORDER BY t\.seq DESC\s+LIMIT \$4/);
    expect(text).not.toMatch(/OFFSET/i);
    expect(params).toEqual(['red fox', 'a', 'b', 25]);
  });

  it('continues each sort with a keyset predicate that matches its order', () => {
    const cases = [
      ['newest', ['7'], 't.seq < $1::bigint', 't.seq DESC'],
      ['oldest', ['7'], 't.seq > $1::bigint', 't.seq ASC'],
      [
        'price_asc',
        ['100', '7'],
        '(t.price_minor, t.seq) > ($2::bigint, $3::bigint)',
        't.price_minor ASC, t.seq ASC',
      ],
      [
        'price_desc',
        ['100', '7'],
        '(t.price_minor, t.seq) < ($2::bigint, $3::bigint)',
        't.price_minor DESC, t.seq DESC',
      ],
    ] as const;
    for (const [sort, after, predicate, order] of cases) {
      const currency = sort.startsWith('price') ? 'USD' : undefined;
      const { text } = buildTokenQuery({ ...base, sort, after: [...after], currency });
      expect(text).toContain(predicate);
      expect(text).toContain(`ORDER BY ${order}`);
    }
  });

  it('limits price sorts and available=true to listed, active tokens, outside drops not yet started', () => {
    expect(buildTokenQuery({ ...base, sort: 'price_asc', currency: 'USD' }).text).toContain(
      `t.price_minor IS NOT NULL AND t.status = 'active'`,
    );
    const available = buildTokenQuery({ ...base, available: true }).text;
    expect(available).toContain(`t.price_minor IS NOT NULL`);
    expect(available).toContain(`(NOT (t.collection_id = ANY(ARRAY(SELECT d.collection_id FROM drops d`);
    expect(buildTokenQuery({ ...base, available: false }).text).toContain(
      `(t.price_minor IS NULL OR t.status <> 'active' OR (t.collection_id = ANY(`,
    );
  });

  it('restricts a series search to edition 1 with a plain predicate the partial index can prove', () => {
    const heads = buildTokenQuery({ ...base, q: 'fox', seriesHeads: true }, 'q').keysText;
    expect(heads).toContain('AND t.edition_number = 1');
    expect(heads).not.toContain('(t.edition_number = 1) IS TRUE');
    expect(buildTokenQuery({ ...base }).keysText).not.toContain('edition_number');
  });

  it('ORs values of one trait and ANDs traits, matching numeric values as numbers too', () => {
    expect(attributeContainments(['color:red', 'color:blue', 'level:5'])).toEqual([
      ['[{"trait_type":"color","value":"red"}]', '[{"trait_type":"color","value":"blue"}]'],
      ['[{"trait_type":"level","value":"5"}]', '[{"trait_type":"level","value":5}]'],
    ]);
    expect(attributeContainments(['note:a:b'])).toEqual([['[{"trait_type":"note","value":"a:b"}]']]);
    const { text, params } = buildTokenQuery({ ...base, attributes: ['color:red', 'color:blue'] });
    expect(text).toContain('(t.attributes @> $1::jsonb OR t.attributes @> $2::jsonb)');
    expect(params[0]).toBe('[{"trait_type":"color","value":"red"}]');
  });

  it('lists the index drivers a search could use', () => {
    expect(driverCandidates(base)).toEqual([]);
    expect(
      driverCandidates({ ...base, q: 'fox', attributes: ['color:red'], currency: 'USD', maxPrice: 5 }),
    ).toEqual(['q', 'attributes', 'price']);
    expect(driverCandidates({ ...base, creatorId: 'a', sort: 'price_asc', currency: 'USD' })).toEqual([
      'creator',
      'price',
    ]);
    expect(driverCandidates({ ...base, collectionId: 'b', currency: 'USD' })).toEqual(['collection']);
  });

  it('with a driver, keeps every other family out of index conditions without changing the result', () => {
    const search: TokenSearch = {
      ...base,
      q: 'fox',
      attributes: ['color:red'],
      currency: 'USD',
      maxPrice: 500,
    };
    const { text } = buildTokenQuery(search, 'q');
    expect(text).toContain(`(t.search @@ websearch_to_tsquery('simple', $1))\n`);
    expect(text).toContain('(t.currency = $2) IS TRUE');
    expect(text).toContain('(t.price_minor <= $3::bigint) IS TRUE');
    expect(text).toContain('(t.attributes @> $4::jsonb) IS TRUE');
    expect(buildTokenQuery(search, 'price').text).toContain(
      `(t.search @@ websearch_to_tsquery('simple', $1)) IS TRUE`,
    );
    // A price sort driven by the text search gives up the ordered price walk, keyset included.
    const priceSort = buildTokenQuery(
      { ...base, q: 'fox', sort: 'price_asc', currency: 'USD', after: ['9', '7'] },
      'q',
    ).text;
    expect(priceSort).toContain('((t.price_minor, t.seq) > ($3::bigint, $4::bigint)) IS TRUE');
    expect(priceSort).toContain('SELECT t.seq, t.price_minor');
    // The seq walk stays available whatever drives; availability is always a plain filter.
    const newest = buildTokenQuery({ ...search, available: true, after: ['42'] }, 'attributes').text;
    expect(newest).toContain('t.seq < $5::bigint');
    expect(newest).not.toContain('(t.seq < $5::bigint) IS TRUE');
    expect(newest).toContain(`(t.price_minor IS NOT NULL AND t.status = 'active') IS TRUE`);
  });

  it('refuses price filters and sorts without a currency, and inverted ranges', () => {
    const code = (search: Partial<TokenSearch>) => {
      try {
        checkTokenSearch({ ...base, ...search });
        return 'ok';
      } catch (error) {
        return (error as DomainError).code;
      }
    };
    expect(code({ minPrice: 1 })).toBe('currency-required');
    expect(code({ sort: 'price_desc' })).toBe('currency-required');
    expect(code({ minPrice: 5, maxPrice: 4, currency: 'USD' })).toBe('bad-price-range');
    expect(code({ minPrice: 5, maxPrice: 5, currency: 'USD', sort: 'price_asc' })).toBe('ok');
  });
});
