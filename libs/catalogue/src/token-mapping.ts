import { offerAvailable, type TokenOffer } from '#market';
import type { OfferView, PriceView, TokenSummaryView } from './catalogue.dto.js';

/** A token row joined with its collection name and the creator's and owner's handles. */
export interface TokenRow {
  id: string;
  seq: string;
  name: string;
  edition_number: number;
  edition_total: number;
  collection_id: string;
  collection_name: string;
  creator_handle: string;
  owner_handle: string | null;
  image_cid: string;
  status: TokenSummaryView['status'];
  price_minor: string | null;
  currency: string | null;
  minted_at: Date;
}

/** Maps a listing row and its offer to its public view (handles only, never account ids or e-mails). */
export function toTokenSummary(row: TokenRow, offer: TokenOffer | undefined): TokenSummaryView {
  return {
    id: row.id,
    name: row.name,
    edition: {
      number: row.edition_number,
      total: row.edition_total,
      label: `${row.edition_number} of ${row.edition_total}`,
    },
    collection: { id: row.collection_id, name: row.collection_name },
    creatorHandle: row.creator_handle,
    ownerHandle: row.owner_handle,
    image: `ipfs://${row.image_cid}`,
    mediaUrl: `/media/${row.image_cid}`,
    status: row.status,
    price: row.status === 'active' ? priceOf(row) : null,
    mintedAt: new Date(row.minted_at).toISOString(),
    offer: offer ? offerView(offer) : null,
  };
}

/** A token's offer as buyers see it, `available` as of now. */
export function offerView(offer: TokenOffer, now = new Date()): OfferView {
  return {
    listingId: offer.listingId,
    kind: offer.kind,
    dropId: offer.dropId,
    priceMinor: offer.priceMinor,
    currency: offer.currency,
    startsAt: offer.startsAt?.toISOString() ?? null,
    available: offerAvailable(offer, now),
  };
}

/** The active listing's price, if any (shown only while the token can be bought). */
export function priceOf(row: { price_minor: string | null; currency: string | null }): PriceView | null {
  if (row.price_minor === null || row.currency === null) return null;
  return { amountMinor: Number(row.price_minor), currency: row.currency };
}
