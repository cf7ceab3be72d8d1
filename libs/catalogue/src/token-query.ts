import { problems } from '#http';
import { inUpcomingDropSql } from '#market';
import { ATTRIBUTE_FILTER, type TokenSort } from './catalogue.dto.js';
import { textPredicate } from './text-match.js';

/** A token search after validation, with the creator already resolved to an account id. */
export interface TokenSearch {
  q?: string;
  creatorId?: string;
  collectionId?: string;
  minPrice?: number;
  maxPrice?: number;
  currency?: string;
  available?: boolean;
  /** `trait:value` strings. */
  attributes: string[];
  sort: TokenSort;
  limit: number;
  /** Sort key of the previous page's last row (decimal strings). */
  after?: string[];
  /** Only edition 1 of each piece, which stands for its series (GET /catalogue/series). */
  seriesHeads?: boolean;
}

/** Columns a listing row needs to continue the keyset. */
export interface SortKeyRow {
  seq: string;
  price_minor: string | null;
}

interface SortSpec {
  order: string;
  keyLength: number;
  /** Keyset predicate for the rows after `key`, given placeholders for the key parts. */
  after: (placeholders: string[]) => string;
  key: (row: SortKeyRow) => string[];
}

// Price sorts cover listed tokens only; ties (same price) fall back to seq in the same direction,
// so the order is total and the row comparison matches the (currency, price_minor, seq) index.
const SORTS: Record<TokenSort, SortSpec> = {
  newest: { order: 't.seq DESC', keyLength: 1, after: ([s]) => `t.seq < ${s}`, key: (r) => [r.seq] },
  oldest: { order: 't.seq ASC', keyLength: 1, after: ([s]) => `t.seq > ${s}`, key: (r) => [r.seq] },
  price_asc: {
    order: 't.price_minor ASC, t.seq ASC',
    keyLength: 2,
    after: ([p, s]) => `(t.price_minor, t.seq) > (${p}, ${s})`,
    key: (r) => [r.price_minor!, r.seq],
  },
  price_desc: {
    order: 't.price_minor DESC, t.seq DESC',
    keyLength: 2,
    after: ([p, s]) => `(t.price_minor, t.seq) < (${p}, ${s})`,
    key: (r) => [r.price_minor!, r.seq],
  },
};

/** How many key parts a cursor of this sort carries. */
export function sortKeyLength(sort: TokenSort): number {
  return SORTS[sort].keyLength;
}

/** The keyset position of a row in this sort. */
export function sortKeyOf(sort: TokenSort, row: SortKeyRow): string[] {
  return SORTS[sort].key(row);
}

/** Rejects combinations that have no meaning (prices of different currencies are not comparable). */
export function checkTokenSearch(search: Omit<TokenSearch, 'after' | 'limit'>): void {
  const priced = search.minPrice !== undefined || search.maxPrice !== undefined;
  if ((priced || search.sort.startsWith('price')) && !search.currency) {
    throw problems.badRequest(
      'currency-required',
      'Price ranges and price sorts compare prices of one currency: add currency (e.g. currency=USD)',
    );
  }
  if (search.minPrice !== undefined && search.maxPrice !== undefined && search.minPrice > search.maxPrice) {
    throw problems.badRequest('bad-price-range', 'minPrice must not be above maxPrice');
  }
}

/**
 * A predicate family that can drive the scan through its own index. `price` is the listing-price
 * index: a price range, or for price sorts the ordered walk over one currency's listings.
 */
export type Driver = 'q' | 'creator' | 'collection' | 'attributes' | 'price';

/** The drivers this search could use, besides walking the seq index (newest/oldest). */
export function driverCandidates(search: TokenSearch): Driver[] {
  const candidates: Driver[] = [];
  if (search.q !== undefined) candidates.push('q');
  if (search.creatorId) candidates.push('creator');
  if (search.collectionId) candidates.push('collection');
  if (search.attributes.length > 0) candidates.push('attributes');
  const priced = search.minPrice !== undefined || search.maxPrice !== undefined;
  if (priced || search.sort.startsWith('price')) candidates.push('price');
  return candidates;
}

/**
 * Builds the page query: filters and keyset predicate on `tokens` only, LIMIT applied before the
 * rows are fetched and joined with names and handles, so the planner can walk one index and stop early.
 *
 * With `driver`, only that family's predicates can use an index; the others are written as
 * `(…) IS TRUE`, which means the same in a WHERE clause but is no index condition (and proves no
 * partial-index predicate), while keeping its selectivity estimate. This rules out BitmapAnd plans
 * over large bitmaps (say 300k "rarity:rare" tokens AND 200k USD listings), which PostgreSQL costs
 * far below what they take; the service picks the driver by comparing the planner's costs.
 */
export function buildTokenQuery(
  search: TokenSearch,
  driver?: Driver,
): { text: string; keysText: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (value: unknown, cast = '') => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  const where: string[] = [];
  const add = (family: Driver | 'filter', predicate: string) =>
    where.push(
      family === 'filter' || (driver !== undefined && family !== driver)
        ? `(${predicate}) IS TRUE`
        : `(${predicate})`,
    );
  const priceSort = search.sort.startsWith('price');
  if (search.q !== undefined) add('q', textPredicate(search.q, p));
  // Plain, so the partial index of series heads (tokens_series_head_idx) can drive the seq walk.
  if (search.seriesHeads) where.push('t.edition_number = 1');
  if (search.creatorId) add('creator', `t.creator_id = ${p(search.creatorId, '::uuid')}`);
  if (search.collectionId) add('collection', `t.collection_id = ${p(search.collectionId, '::uuid')}`);
  if (search.currency) add('price', `t.currency = ${p(search.currency)}`);
  if (search.minPrice !== undefined) add('price', `t.price_minor >= ${p(search.minPrice, '::bigint')}`);
  if (search.maxPrice !== undefined) add('price', `t.price_minor <= ${p(search.maxPrice, '::bigint')}`);
  // Listed = has a price and is active. For price sorts this is the price index's own predicate;
  // otherwise a plain filter, so the partial price index never joins a BitmapAnd as a whole.
  // Available = listed, and not an edition of a drop that has not started yet.
  if (priceSort) add('price', `t.price_minor IS NOT NULL AND t.status = 'active'`);
  if (search.available === true) {
    if (!priceSort) add('filter', `t.price_minor IS NOT NULL AND t.status = 'active'`);
    add('filter', `NOT ${inUpcomingDropSql('t')}`);
  }
  if (search.available === false) {
    add('filter', `t.price_minor IS NULL OR t.status <> 'active' OR ${inUpcomingDropSql('t')}`);
  }
  for (const documents of attributeContainments(search.attributes)) {
    add('attributes', documents.map((doc) => `t.attributes @> ${p(doc, '::jsonb')}`).join(' OR '));
  }
  const sort = SORTS[search.sort];
  if (search.after) {
    const after = sort.after(search.after.map((part) => p(part, '::bigint')));
    if (priceSort) add('price', after);
    else where.push(after); // the seq walk stays available whatever drives
  }
  const limit = p(search.limit + 1);
  const order = sort.order;
  // Keys first, rows after: the inner query returns only sort keys, so an index that holds them
  // (seq, or currency/price/seq) can answer it without touching the heap; only the page's rows
  // are then fetched and joined with names and handles.
  const keysText = `
      SELECT t.seq${priceSort ? ', t.price_minor' : ''}
      FROM tokens t
      ${where.length > 0 ? `WHERE ${where.join('\n        AND ')}` : ''}
      ORDER BY ${order}
      LIMIT ${limit}`;
  const text = `
    SELECT t.id, t.seq, t.name, t.edition_number, t.edition_total, t.collection_id, t.image_cid, t.status,
      t.price_minor, t.currency, t.minted_at, c.name AS collection_name, cr.handle AS creator_handle,
      o.handle AS owner_handle
    FROM (${keysText}
    ) k
    JOIN tokens t ON t.seq = k.seq
    JOIN collections c ON c.id = t.collection_id
    JOIN accounts cr ON cr.id = t.creator_id
    LEFT JOIN accounts o ON o.id = t.owner_id
    ORDER BY ${order.replaceAll('t.', 'k.')}`;
  return { text, keysText, params };
}

/**
 * One group per trait: a token matches a group when it has any of the group's values. Each value
 * is a JSON containment document for the jsonb_path_ops index; a numeric-looking value also
 * matches the number (metadata may store `5` or `"5"`).
 */
export function attributeContainments(filters: string[]): string[][] {
  const byTrait = new Map<string, Set<string>>();
  for (const filter of filters) {
    if (!ATTRIBUTE_FILTER.test(filter))
      throw problems.badRequest('bad-attribute-filter', 'attr must be trait:value');
    const colon = filter.indexOf(':');
    const trait = filter.slice(0, colon);
    const value = filter.slice(colon + 1);
    const documents = byTrait.get(trait) ?? new Set<string>();
    documents.add(JSON.stringify([{ trait_type: trait, value }]));
    if (/^-?(0|[1-9]\d{0,14})(\.\d{1,6})?$/.test(value)) {
      documents.add(JSON.stringify([{ trait_type: trait, value: Number(value) }]));
    }
    byTrait.set(trait, documents);
  }
  return [...byTrait.values()].map((documents) => [...documents]);
}
