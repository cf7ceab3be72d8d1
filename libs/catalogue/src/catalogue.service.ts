import { Injectable } from '@nestjs/common';
import { ReadRouter } from '#database';
import { keysetPage } from '#http';
import { tokenOffers } from '#market';
import {
  type CollectionSearchQuery,
  type CollectionSummaryView,
  DEFAULT_PAGE_SIZE,
  type Page,
  type TokenSearchQuery,
  type TokenSummaryView,
} from './catalogue.dto.js';
import { resolveCreator } from './creators.js';
import { isSubstringSearch, substringTerms } from './text-match.js';
import { decodeCursor, encodeCursor, listingScope } from './cursor.js';
import { toTokenSummary } from './token-mapping.js';
import { runTokenSearch } from './token-planner.js';
import { checkTokenSearch, sortKeyLength, sortKeyOf, type TokenSearch } from './token-query.js';

interface CollectionRow {
  id: string;
  seq: string;
  name: string;
  description: string;
  creator_handle: string;
  royalty_bps: number;
  supply_cap: number | null;
  minted: number;
  created_at: Date;
}

/** Public, read-only listings of tokens and collections: text search, filters, keyset pages. */
@Injectable()
export class CatalogueService {
  constructor(private readonly reads: ReadRouter) {}

  /** Searches tokens; `cursor` continues the listing with exactly the same filters and sort. */
  async searchTokens(query: TokenSearchQuery, readFence?: string | null): Promise<Page<TokenSummaryView>> {
    const db = await this.reads.source(readFence);
    const search: TokenSearch = {
      q: query.q,
      collectionId: query.collection?.toLowerCase(),
      minPrice: query.minPrice,
      maxPrice: query.maxPrice,
      currency: query.currency,
      available: query.available === undefined ? undefined : query.available === 'true',
      attributes: [...new Set(query.attr ?? [])].sort(),
      sort: query.sort ?? 'newest',
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
    };
    checkTokenSearch(search);
    const { limit: _limit, ...identity } = search;
    const scope = listingScope({ listing: 'tokens', creator: query.creator, ...identity });
    if (query.cursor) search.after = decodeCursor(query.cursor, scope, sortKeyLength(search.sort));
    if (query.creator) {
      const creatorId = await resolveCreator(db, query.creator);
      if (!creatorId) return { items: [], nextCursor: null };
      search.creatorId = creatorId;
    }
    const rows = await runTokenSearch(db, search);
    // The page's offers in one query (the extra row that only proves a next page needs none).
    const offers = await tokenOffers(
      db.manager,
      rows.slice(0, search.limit).map((row) => row.id),
    );
    return keysetPage(
      rows,
      search.limit,
      (row) => toTokenSummary(row, offers.get(row.id)),
      (last) => encodeCursor(scope, sortKeyOf(search.sort, last)),
    );
  }

  /** Searches collections by text and creator, newest or oldest first. */
  async searchCollections(
    query: CollectionSearchQuery,
    readFence?: string | null,
  ): Promise<Page<CollectionSummaryView>> {
    const db = await this.reads.source(readFence);
    const sort = query.sort ?? 'newest';
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const scope = listingScope({ listing: 'collections', q: query.q, creator: query.creator, sort });
    const after = query.cursor ? decodeCursor(query.cursor, scope, 1)[0] : undefined;
    const params: unknown[] = [];
    const where: string[] = [];
    if (query.q !== undefined && isSubstringSearch(query.q)) {
      // CJK text by substring, as for tokens; collections are few enough (a hundredth of the tokens
      // in the benchmark) to be scanned without a grams index.
      for (const term of substringTerms(query.q)) {
        params.push(term);
        where.push(`strpos(lower(c.name || ' ' || c.description), $${params.length}) > 0`);
      }
    } else if (query.q !== undefined) {
      params.push(query.q);
      where.push(`c.search @@ websearch_to_tsquery('simple', $${params.length})`);
    }
    if (query.creator) {
      const creatorId = await resolveCreator(db, query.creator);
      if (!creatorId) return { items: [], nextCursor: null };
      params.push(creatorId);
      where.push(`c.creator_id = $${params.length}::uuid`);
    }
    if (after !== undefined) {
      params.push(after);
      where.push(`c.seq ${sort === 'newest' ? '<' : '>'} $${params.length}::bigint`);
    }
    params.push(limit + 1);
    const order = sort === 'newest' ? 'c.seq DESC' : 'c.seq ASC';
    const rows: CollectionRow[] = await db.query(
      `SELECT c.id, c.seq, c.name, c.description, a.handle AS creator_handle, c.royalty_bps, c.supply_cap,
         c.minted, c.created_at
       FROM (
         SELECT c.id, c.seq, c.name, c.description, c.creator_id, c.royalty_bps, c.supply_cap, c.minted, c.created_at
         FROM collections c ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${order} LIMIT $${params.length}
       ) c JOIN accounts a ON a.id = c.creator_id
       ORDER BY ${order}`,
      params,
    );
    return keysetPage(rows, limit, toCollectionSummary, (last) => encodeCursor(scope, [last.seq]));
  }
}

function toCollectionSummary(row: CollectionRow): CollectionSummaryView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    creatorHandle: row.creator_handle,
    royaltyBps: row.royalty_bps,
    supplyCap: row.supply_cap,
    minted: row.minted,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
