import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { inTransaction } from '#database';
import { keysetPage, microsSql, parseTimeIdCursor, problems, timeIdCursor, timeOfMicrosSql } from '#http';
import type { Principal } from '#identity';
import { OwnershipService, TokenPricing } from '#minting';
import { formatMoney, minimumChargeMinor } from '#money';
import type { CreateDropDto, CreateListingDto, RepriceListingDto } from './market.dto.js';
import { lockListing, type ListingRow } from './listings.js';
import { seedCommitment } from './lottery.js';

/** Primary listings, resale listings and timed drops (first-come or lottery). */
@Injectable()
export class ListingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly pricing: TokenPricing,
    private readonly ownership: OwnershipService,
  ) {}

  /** Lists a token its owner holds: primary while the creator still holds it, else a resale under policy. */
  async createListing(principal: Principal, input: CreateListingDto) {
    assertChargeable(input.priceMinor, input.currency);
    return inTransaction(this.dataSource, async (manager) => {
      const [token]: {
        owner_id: string;
        creator_id: string;
        status: string;
        ledger_seq: number;
        acquired_at: Date;
        resale_allowed: boolean;
        hold_days: number;
      }[] = await manager.query(
        `SELECT t.owner_id, t.creator_id, t.status, t.ledger_seq, t.acquired_at, c.resale_allowed, c.hold_days
         FROM tokens t JOIN collections c ON c.id = t.collection_id WHERE t.id = $1 FOR UPDATE OF t`,
        [input.tokenId],
      );
      if (!token) throw problems.notFound('Token');
      if (token.owner_id !== principal.accountId)
        throw problems.forbidden('Only the token’s owner can list it');
      // The row's owner is trusted only if the token's ledger history agrees.
      await this.ownership.assertLedgerAgrees(manager, [{ tokenId: input.tokenId, row: token }], 'a listing');
      if (token.status !== 'active') throw problems.conflict('token-state', `The token is ${token.status}`);
      const primary = token.owner_id === token.creator_id;
      if (!primary) {
        if (!token.resale_allowed)
          throw problems.conflict('resale-not-allowed', 'This collection does not allow resale');
        const holdUntil = new Date(token.acquired_at.getTime() + token.hold_days * 86_400_000);
        if (holdUntil > new Date()) {
          throw problems.conflict('hold-period', `Resale is allowed from ${holdUntil.toISOString()}`);
        }
      }
      const [existing] = await manager.query(
        `SELECT 1 FROM listings WHERE token_id = $1 AND status = 'active'`,
        [input.tokenId],
      );
      if (existing) throw problems.conflict('already-listed', 'The token is already listed');
      const [listing] = await manager.query(
        `INSERT INTO listings (token_id, seller_id, kind, price_minor, currency) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [
          input.tokenId,
          principal.accountId,
          primary ? 'primary' : 'resale',
          input.priceMinor,
          input.currency,
        ],
      );
      await this.pricing.setAskingPrice(manager, [input.tokenId], input.priceMinor, input.currency);
      return {
        listingId: listing.id as string,
        tokenId: input.tokenId,
        priceMinor: input.priceMinor,
        currency: input.currency,
      };
    });
  }

  /**
   * Takes a listing off sale, as its seller. Refused while a checkout holds it (the buyer may be
   * paying right now): try again once the hold ends.
   */
  async withdraw(principal: Principal, listingId: string): Promise<ListingView> {
    return inTransaction(this.dataSource, async (manager) => {
      const listing = await this.lockOwnActiveListing(manager, principal, listingId);
      await this.takeOffSale(manager, [listing.token_id], 'refuse');
      return listingView({ ...listing, status: 'withdrawn' });
    });
  }

  /** Changes the price of an active listing, as its seller; a drop's editions keep the drop's price. */
  async reprice(principal: Principal, listingId: string, input: RepriceListingDto): Promise<ListingView> {
    return inTransaction(this.dataSource, async (manager) => {
      const listing = await this.lockOwnActiveListing(manager, principal, listingId);
      if (listing.drop_id)
        throw problems.conflict('drop-price', 'Editions of a drop sell at the drop’s price', {
          dropId: listing.drop_id,
        });
      assertChargeable(input.priceMinor, listing.currency);
      await manager.query(`UPDATE listings SET price_minor = $2 WHERE id = $1`, [
        listingId,
        input.priceMinor,
      ]);
      await this.pricing.setAskingPrice(manager, [listing.token_id], input.priceMinor, listing.currency);
      // A checkout holding the listing keeps the price its order was made at.
      return listingView({ ...listing, price_minor: String(input.priceMinor) });
    });
  }

  /**
   * Takes tokens off sale in the caller's transaction (their active listings withdrawn, asking price
   * cleared): custody calls it when a token moves, is frozen or burned. A listing a checkout holds
   * is refused (`refuse`: 409 `listing-reserved`) or withdrawn anyway (`withdraw`: an operator's
   * act; settlement refunds the payment if it arrives). Locks the listings before the caller locks
   * the tokens, the order settlement takes them in.
   */
  async takeOffSale(
    manager: EntityManager,
    tokenIds: readonly string[],
    ifHeld: 'refuse' | 'withdraw',
  ): Promise<void> {
    const active = await lockActiveListings(manager, tokenIds);
    const held = active.find((listing) => listing.held);
    if (held && ifHeld === 'refuse') {
      throw problems.conflict(
        'listing-reserved',
        'A buyer is checking out this listing right now; try again after the hold ends',
        { listingId: held.id, heldUntil: held.reserved_until!.toISOString() },
      );
    }
    if (active.length === 0) return;
    await manager.query(
      `UPDATE listings SET status = 'withdrawn', reserved_order = NULL, reserved_until = NULL, reserved_for = NULL
       WHERE id = ANY($1::uuid[])`,
      [active.map((listing) => listing.id)],
    );
    await this.pricing.clearAskingPrice(manager, tokenIds);
  }

  /**
   * Locks the active listings of `tokenIds` (before the caller locks the tokens, the order
   * settlement takes them in) and answers those a buyer's checkout holds now, by token: for a caller
   * deciding per token whether to go on, then calling `takeOffSale` for the tokens it goes on with.
   */
  async lockListingsOf(
    manager: EntityManager,
    tokenIds: readonly string[],
  ): Promise<Map<string, { listingId: string; heldUntil: Date }>> {
    const active = await lockActiveListings(manager, tokenIds);
    return new Map(
      active
        .filter((listing) => listing.held)
        .map((listing) => [listing.token_id, { listingId: listing.id, heldUntil: listing.reserved_until! }]),
    );
  }

  /** The caller's active listing, locked; 404 if there is none, 403 if another seller's. */
  private async lockOwnActiveListing(
    manager: EntityManager,
    principal: Principal,
    listingId: string,
  ): Promise<ListingRow> {
    const listing = await lockListing(manager, listingId);
    if (!listing) throw problems.notFound('Listing');
    if (listing.seller_id !== principal.accountId)
      throw problems.forbidden('Only the seller can change a listing');
    if (listing.status !== 'active')
      throw problems.conflict('listing-not-active', `The listing is ${listing.status}`);
    return listing;
  }

  /** A timed drop: every edition of the collection the creator still holds goes on sale at one price. */
  async createDrop(principal: Principal, input: CreateDropDto) {
    assertChargeable(input.priceMinor, input.currency);
    const lottery = input.mode === 'lottery';
    if (lottery && (!input.entriesCloseAt || new Date(input.entriesCloseAt) <= new Date(input.startsAt))) {
      throw problems.badRequest('bad-drop', 'A lottery needs entriesCloseAt after startsAt');
    }
    const seed = lottery ? randomBytes(32) : null;
    return inTransaction(this.dataSource, async (manager) => {
      const [collection] = await manager.query(
        `SELECT creator_id FROM collections WHERE id = $1 FOR UPDATE`,
        [input.collectionId],
      );
      if (!collection) throw problems.notFound('Collection');
      if (collection.creator_id !== principal.accountId)
        throw problems.forbidden('Only the creator can run a drop');
      const [drop] = await manager.query(
        `INSERT INTO drops (collection_id, creator_id, price_minor, currency, starts_at, per_buyer_limit, mode,
           entries_close_at, seed_hash, seed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
        [
          input.collectionId,
          principal.accountId,
          input.priceMinor,
          input.currency,
          input.startsAt,
          input.perBuyerLimit ?? null,
          input.mode ?? 'first-come',
          input.entriesCloseAt ?? null,
          seed ? seedCommitment(seed) : null,
          seed,
        ],
      );
      const listed: { token_id: string }[] = await manager.query(
        `INSERT INTO listings (token_id, seller_id, kind, drop_id, price_minor, currency)
         SELECT t.id, $2, 'primary', $3, $4, $5 FROM tokens t
         WHERE t.collection_id = $1 AND t.owner_id = $2 AND t.status = 'active'
           AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.token_id = t.id AND l.status = 'active')
         RETURNING token_id`,
        [input.collectionId, principal.accountId, drop.id, input.priceMinor, input.currency],
      );
      if (listed.length === 0)
        throw problems.conflict('nothing-to-drop', 'The collection has no unlisted editions you hold');
      const tokenIds = listed.map((listing) => listing.token_id);
      await this.pricing.setAskingPrice(manager, tokenIds, input.priceMinor, input.currency);
      return this.getDrop(drop.id, manager);
    });
  }

  /** Public view of a drop; the lottery seed appears only after the draw. */
  async getDrop(dropId: string, manager = this.dataSource.manager) {
    const [drop] = await manager.query(`SELECT ${DROP_COLUMNS} FROM drops d WHERE d.id = $1`, [dropId]);
    if (!drop) throw problems.notFound('Drop');
    return dropView(drop);
  }

  /**
   * Drops by state: `upcoming` (not started; soonest first), `live` (started, editions left) and
   * `ended` (started, none left), those two latest start first. Keyset pages over (starts_at, id).
   */
  async listDrops(query: { state: DropState; limit?: number; cursor?: string }) {
    const limit = query.limit ?? 50;
    const upcoming = query.state === 'upcoming';
    const [micros, id] = parseTimeIdCursor(query.cursor);
    const left = `EXISTS (SELECT 1 FROM listings l WHERE l.drop_id = d.id AND l.status = 'active')`;
    const where = upcoming
      ? `d.starts_at > now()`
      : `d.starts_at <= now() AND ${query.state === 'live' ? '' : 'NOT '}${left}`;
    const rows: (DropRow & { position: string })[] = await this.dataSource.query(
      `SELECT ${DROP_COLUMNS}, ${microsSql('d.starts_at')} AS position
       FROM drops d
       WHERE ${where} AND ($1::bigint IS NULL OR (d.starts_at, d.id) ${upcoming ? '>' : '<'} (${timeOfMicrosSql('$1')}, $2::uuid))
       ORDER BY d.starts_at ${upcoming ? 'ASC' : 'DESC'}, d.id ${upcoming ? 'ASC' : 'DESC'} LIMIT $3`,
      [micros, id, limit + 1],
    );
    return keysetPage(rows, limit, dropView, (last) => timeIdCursor(last.position, last.id));
  }
}

export const DROP_STATES = ['upcoming', 'live', 'ended'] as const;
export type DropState = (typeof DROP_STATES)[number];

const DROP_COLUMNS = `d.*, (SELECT count(*) FROM listings l WHERE l.drop_id = d.id) AS editions,
  (SELECT count(*) FROM listings l WHERE l.drop_id = d.id AND l.status = 'active') AS available`;

/** A drop row selected with DROP_COLUMNS. */
interface DropRow {
  id: string;
  collection_id: string;
  price_minor: string;
  currency: string;
  starts_at: Date;
  per_buyer_limit: number | null;
  mode: string;
  editions: string;
  available: string;
  entries_close_at: Date | null;
  seed_hash: Buffer | null;
  seed: Buffer | null;
  drawn_at: Date | null;
}

function dropView(drop: DropRow) {
  return {
    dropId: drop.id,
    collectionId: drop.collection_id,
    priceMinor: Number(drop.price_minor),
    currency: drop.currency,
    startsAt: new Date(drop.starts_at).toISOString(),
    perBuyerLimit: drop.per_buyer_limit,
    mode: drop.mode,
    editions: Number(drop.editions),
    available: Number(drop.available),
    entriesCloseAt: drop.entries_close_at ? new Date(drop.entries_close_at).toISOString() : null,
    seedHash: drop.seed_hash ? drop.seed_hash.toString('hex') : null,
    seed: drop.drawn_at && drop.seed ? drop.seed.toString('hex') : null,
    drawnAt: drop.drawn_at ? new Date(drop.drawn_at).toISOString() : null,
  };
}

/**
 * Refuses a price the card processor could never charge (below its minimum for the currency): such a
 * listing would hold its edition through checkouts that all fail. Both rails apply it, the sandbox
 * imitating Stripe.
 */
function assertChargeable(priceMinor: number, currency: string): void {
  const minimum = minimumChargeMinor(currency);
  if (priceMinor >= minimum) return;
  throw problems.unprocessable(
    'price-below-minimum',
    `The price is below ${formatMoney(minimum, currency)}, the smallest amount a card payment in ${currency} can have`,
    { minimumPriceMinor: minimum, currency },
  );
}

/** A listing as its seller sees it. */
export interface ListingView {
  listingId: string;
  tokenId: string;
  kind: ListingRow['kind'];
  dropId: string | null;
  priceMinor: number;
  currency: string;
  status: ListingRow['status'];
}

function listingView(row: ListingRow): ListingView {
  return {
    listingId: row.id,
    tokenId: row.token_id,
    kind: row.kind,
    dropId: row.drop_id,
    priceMinor: Number(row.price_minor),
    currency: row.currency,
    status: row.status,
  };
}

/** The active listings of `tokenIds`, locked in id order, with whether a checkout holds each now. */
async function lockActiveListings(
  manager: EntityManager,
  tokenIds: readonly string[],
): Promise<{ id: string; token_id: string; held: boolean; reserved_until: Date | null }[]> {
  return manager.query(
    `SELECT id, token_id, reserved_until > now() AS held, reserved_until FROM listings
     WHERE token_id = ANY($1::text[]) AND status = 'active' ORDER BY id FOR UPDATE`,
    [tokenIds],
  );
}
