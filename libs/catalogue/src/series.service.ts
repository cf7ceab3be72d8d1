import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ReadRouter } from '#database';
import { keysetPage } from '#http';
import { tokenOffers, unavailableOfferTokensSql } from '#market';
import { DEFAULT_PAGE_SIZE, type Page } from './catalogue.dto.js';
import { resolveCreator } from './creators.js';
import { decodeCursor, encodeCursor, listingScope } from './cursor.js';
import type { SeriesSearchQuery, SeriesSummaryView } from './series.dto.js';
import type { TokenRow } from './token-mapping.js';
import { runTokenSearch } from './token-planner.js';
import { attributeContainments, sortKeyLength, sortKeyOf, type TokenSearch } from './token-query.js';

/** Availability of one series: editions a checkout can take now, and the cheapest of them. */
interface SeriesOfferRow {
  head_id: string;
  available: string;
  token_id: string | null;
  edition_number: number | null;
  price_minor: string | null;
  currency: string | null;
}

/** The same predicate on `t` as the series of `h`: editions one mint request made of one piece. */
const SAME_SERIES = `t.collection_id = h.collection_id AND t.metadata_cid = h.metadata_cid AND t.minted_at = h.minted_at
  AND t.price_minor IS NOT NULL AND t.status = 'active' AND ($3::text IS NULL OR t.currency = $3)`;

/**
 * The catalogue by piece: one row per series however many editions it has, with how many are
 * available and the cheapest one to buy. Series are found by walking edition 1 of each piece with
 * the token search's own filters and planner; a page's counts come from tokens_series_offers_idx.
 */
@Injectable()
export class SeriesService {
  constructor(private readonly reads: ReadRouter) {}

  /** Searches series; `cursor` continues the listing with exactly the same filters and sort. */
  async searchSeries(query: SeriesSearchQuery, readFence?: string | null): Promise<Page<SeriesSummaryView>> {
    const db = await this.reads.source(readFence);
    const search: TokenSearch = {
      q: query.q,
      collectionId: query.collection?.toLowerCase(),
      attributes: [...new Set(query.attr ?? [])].sort(),
      sort: query.sort ?? 'newest',
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      seriesHeads: true,
    };
    attributeContainments(search.attributes); // validates them before any query
    const { limit: _limit, ...identity } = search;
    const scope = listingScope({
      listing: 'series',
      creator: query.creator,
      currency: query.currency,
      ...identity,
    });
    if (query.cursor) search.after = decodeCursor(query.cursor, scope, sortKeyLength(search.sort));
    if (query.creator) {
      search.creatorId = await resolveCreator(db, query.creator);
      if (!search.creatorId) return { items: [], nextCursor: null };
    }
    const rows = await runTokenSearch(db, search);
    const offers = await this.seriesOffers(db, rows.slice(0, search.limit), query.currency);
    return keysetPage(
      rows,
      search.limit,
      (row) => toSeriesSummary(row, offers.get(row.id)),
      (last) => encodeCursor(scope, sortKeyOf(search.sort, last)),
    );
  }

  /** Counts and cheapest available edition of the page's series: two queries for the whole page. */
  private async seriesOffers(db: DataSource, heads: TokenRow[], currency: string | undefined) {
    const result = new Map<string, SeriesAvailability>();
    if (heads.length === 0) return result;
    const collections = [...new Set(heads.map((head) => head.collection_id))];
    const unavailable = unavailableOfferTokensSql('$2::uuid[]');
    const rows: SeriesOfferRow[] = await db.query(
      `SELECT h.id AS head_id, a.available, b.id AS token_id, b.edition_number, b.price_minor, b.currency
       FROM tokens h
       CROSS JOIN LATERAL (
         SELECT count(*) AS available FROM tokens t WHERE ${SAME_SERIES} AND t.id NOT IN (${unavailable})) a
       LEFT JOIN LATERAL (
         SELECT t.id, t.edition_number, t.price_minor, t.currency FROM tokens t
         WHERE a.available > 0 AND ${SAME_SERIES} AND t.id NOT IN (${unavailable})
         ORDER BY t.price_minor, t.seq LIMIT 1) b ON true
       WHERE h.id = ANY($1::text[])`,
      [heads.map((head) => head.id), collections, currency ?? null],
    );
    const cheapest = rows.filter((row) => row.token_id !== null).map((row) => row.token_id!);
    const offers = await tokenOffers(db.manager, cheapest);
    for (const row of rows) {
      const offer = row.token_id ? offers.get(row.token_id) : undefined;
      result.set(row.head_id, {
        available: Number(row.available),
        cheapest:
          offer && row.token_id
            ? {
                tokenId: row.token_id,
                listingId: offer.listingId,
                dropId: offer.dropId,
                editionNumber: row.edition_number!,
                price: { amountMinor: offer.priceMinor, currency: offer.currency },
              }
            : null,
      });
    }
    return result;
  }
}

type SeriesAvailability = Pick<SeriesSummaryView, 'cheapest'> & { available: number };

function toSeriesSummary(row: TokenRow, offers: SeriesAvailability | undefined): SeriesSummaryView {
  return {
    id: row.id,
    name: row.name,
    collection: { id: row.collection_id, name: row.collection_name },
    creatorHandle: row.creator_handle,
    image: `ipfs://${row.image_cid}`,
    mediaUrl: `/media/${row.image_cid}`,
    editions: { total: row.edition_total, available: offers?.available ?? 0 },
    cheapest: offers?.cheapest ?? null,
    mintedAt: new Date(row.minted_at).toISOString(),
  };
}
