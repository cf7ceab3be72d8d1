import type { EntityManager } from 'typeorm';
import type { ListingRow } from './listings.js';

// What tokens are on sale as, for the catalogue and checkout: one read for a page of tokens, and the
// SQL that tells an offer a checkout can take now from one it cannot (held, or its drop not open).

/** What a token is on sale as right now: its active listing, and the drop it is an edition of. */
export interface TokenOffer {
  tokenId: string;
  listingId: string;
  kind: ListingRow['kind'];
  dropId: string | null;
  priceMinor: number;
  currency: string;
  /** When the drop opens (a drop's editions cannot be bought before); null for a plain listing. */
  startsAt: Date | null;
  /** Until when a buyer's checkout holds it; null when free. */
  heldUntil: Date | null;
}

/** Whether a checkout can take the offer now: not held by another buyer, its drop (if any) open. */
export function offerAvailable(offer: TokenOffer, now = new Date()): boolean {
  return offer.heldUntil === null && (offer.startsAt === null || offer.startsAt <= now);
}

/** The token's current offer, or `undefined` when it is not for sale. */
export async function tokenOffer(manager: EntityManager, tokenId: string): Promise<TokenOffer | undefined> {
  return (await tokenOffers(manager, [tokenId])).get(tokenId);
}

/** The current offers of these tokens in one query, by token id; tokens not for sale are absent. */
export async function tokenOffers(
  manager: EntityManager,
  tokenIds: readonly string[],
): Promise<Map<string, TokenOffer>> {
  if (tokenIds.length === 0) return new Map();
  const rows: (Pick<ListingRow, 'id' | 'token_id' | 'kind' | 'drop_id' | 'price_minor' | 'currency'> & {
    starts_at: Date | null;
    held_until: Date | null;
  })[] = await manager.query(
    `SELECT l.id, l.token_id, l.kind, l.drop_id, l.price_minor, l.currency, d.starts_at,
            CASE WHEN l.reserved_until > now() THEN l.reserved_until END AS held_until
     FROM listings l LEFT JOIN drops d ON d.id = l.drop_id
     WHERE l.token_id = ANY($1::text[]) AND l.status = 'active'`,
    [tokenIds],
  );
  return new Map(
    rows.map((row) => [
      row.token_id,
      {
        tokenId: row.token_id,
        listingId: row.id,
        kind: row.kind,
        dropId: row.drop_id,
        priceMinor: Number(row.price_minor),
        currency: row.currency,
        startsAt: row.starts_at,
        heldUntil: row.held_until,
      },
    ]),
  );
}

/**
 * SQL predicate: the token (`alias`.id, `alias`.collection_id) is listed as an edition of a drop that
 * has not started. Only tokens of collections with an upcoming drop (an InitPlan read once through
 * drops_starts_idx) look further, into a hashed set of the upcoming drops' editions built once per
 * statement, and only when one is met. (A correlated EXISTS per token costs the planner so much
 * that it sorts whole price ranges instead of walking seq and stopping after a page; and a join
 * of drops and listings is estimated too large to hash, so it would be rescanned per token.)
 */
export function inUpcomingDropSql(alias: string): string {
  return `(${alias}.collection_id = ANY(ARRAY(SELECT d.collection_id FROM drops d WHERE d.starts_at > now()))
    AND ${alias}.id IN (SELECT l.token_id FROM listings l WHERE l.status = 'active'
      AND l.drop_id = ANY(ARRAY(SELECT d.id FROM drops d WHERE d.starts_at > now()))))`;
}

/**
 * SQL subquery: ids of tokens whose active listing a checkout cannot take now — held by a checkout
 * (listings_held_idx) or an edition of a drop of one of `collectionsParam` (a uuid[] placeholder)
 * that has not started. Use as `t.id NOT IN (…)`: PostgreSQL hashes it once per statement.
 */
export function unavailableOfferTokensSql(collectionsParam: string): string {
  return `SELECT l.token_id FROM listings l WHERE l.status = 'active' AND l.reserved_until > now()
    UNION ALL
    SELECT l.token_id FROM drops d JOIN listings l ON l.drop_id = d.id AND l.status = 'active'
    WHERE d.starts_at > now() AND d.collection_id = ANY(${collectionsParam})`;
}
