import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { inTransaction } from '#database';
import { problems } from '#http';
import type { Principal } from '#identity';
import { TokenPricing } from '#minting';
import { formatMoney, minimumChargeMinor } from '#money';
import type { CreateDropDto, CreateListingDto } from './checkout.dto.js';
import { seedCommitment } from './lottery.js';

/** Primary listings, resale listings and timed drops (first-come or lottery). */
@Injectable()
export class ListingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly pricing: TokenPricing,
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
    const [drop] = await manager.query(
      `SELECT d.*, (SELECT count(*) FROM listings l WHERE l.drop_id = d.id) AS editions,
              (SELECT count(*) FROM listings l WHERE l.drop_id = d.id AND l.status = 'active') AS available
       FROM drops d WHERE d.id = $1`,
      [dropId],
    );
    if (!drop) throw problems.notFound('Drop');
    return {
      dropId: drop.id as string,
      collectionId: drop.collection_id as string,
      priceMinor: Number(drop.price_minor),
      currency: drop.currency as string,
      startsAt: new Date(drop.starts_at).toISOString(),
      perBuyerLimit: drop.per_buyer_limit as number | null,
      mode: drop.mode as string,
      editions: Number(drop.editions),
      available: Number(drop.available),
      entriesCloseAt: drop.entries_close_at ? new Date(drop.entries_close_at).toISOString() : null,
      seedHash: drop.seed_hash ? (drop.seed_hash as Buffer).toString('hex') : null,
      seed: drop.drawn_at ? (drop.seed as Buffer).toString('hex') : null,
      drawnAt: drop.drawn_at ? new Date(drop.drawn_at).toISOString() : null,
    };
  }
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
