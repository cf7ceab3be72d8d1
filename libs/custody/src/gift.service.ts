import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { inTransaction, isUniqueViolation } from '#database';
import { problems } from '#http';
import { IdentityService, type Principal } from '#identity';
import { ListingService } from '#market';
import { OwnershipService, type LockedTokenState } from '#minting';
import { notify } from '#notifications';
import { PLATFORM_REAL_NAME_SQL } from '#policies';

/** A token as a gift checks it: its ownership, under lock, and its collection's policy. */
interface GiftableToken extends LockedTokenState {
  creator_id: string;
  acquired_at: Date;
  gifts_allowed: boolean;
  hold_days: number;
  real_name_required: boolean;
}

interface GiftRow {
  id: string;
  token_id: string;
  from_handle: string;
  to_handle: string;
  created_at: Date;
}

const DAY_MS = 86_400_000;

/** The gift row a gift request inserted (id null: the key was used before), and who is involved. */
interface MadeGift {
  token_exists: boolean;
  recipient_id: string | null;
  id: string | null;
  created_at: Date | null;
  from_handle: string;
}

/** Thrown inside the gift's transaction to roll it back when its key made a gift before. */
class KeyAlreadyUsed extends Error {}

/**
 * Gifts: an owner gives a token to another account, under the collection's policy (gifts allowed,
 * the hold period since the owner acquired it, real-name verification of both sides when the
 * collection requires it). The token leaves the market and the ledger records a `transfer` whose ref
 * is the gift's id. Idempotent per sender and key.
 */
@Injectable()
export class GiftService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly identity: IdentityService,
    private readonly listings: ListingService,
    private readonly ownership: OwnershipService,
  ) {}

  async gift(principal: Principal, tokenId: string, input: { toHandle: string; idempotencyKey: string }) {
    try {
      return await inTransaction(this.dataSource, (manager) => this.give(manager, principal, tokenId, input));
    } catch (error) {
      // A retry, or the same key sent twice at once: answer the gift the key already made.
      if (!(error instanceof KeyAlreadyUsed) && !isUniqueViolation(error, 'gifts_idempotency_key'))
        throw error;
      const earlier = await this.findGift(this.dataSource.manager, principal.accountId, input.idempotencyKey);
      return this.replay(earlier!, tokenId, input.toHandle);
    }
  }

  private async give(
    manager: EntityManager,
    principal: Principal,
    tokenId: string,
    input: { toHandle: string; idempotencyKey: string },
  ) {
    // The gift row first, in the statement that finds the recipient: a key used before inserts
    // nothing (and the checks below are not run again for a retry); a refused gift rolls it back.
    const [made]: MadeGift[] = await manager.query(
      `WITH recipient AS (
              -- Key-share locked, as the gift's foreign key will: a deletion of the account running
              -- now is waited for, and then its tombstone handle names nobody.
              SELECT id FROM accounts WHERE handle = $3 AND deleted_at IS NULL FOR KEY SHARE),
            gift AS (
              INSERT INTO gifts (token_id, from_id, to_id, idempotency_key)
              SELECT $1, $2, recipient.id, $4 FROM recipient
              WHERE recipient.id <> $2 AND EXISTS (SELECT 1 FROM tokens WHERE id = $1)
              ON CONFLICT ON CONSTRAINT gifts_idempotency_key DO NOTHING
              RETURNING id, created_at)
       SELECT EXISTS (SELECT 1 FROM tokens WHERE id = $1) AS token_exists,
              (SELECT id FROM recipient) AS recipient_id, gift.id, gift.created_at,
              (SELECT handle FROM accounts WHERE id = $2) AS from_handle
       FROM (SELECT 1) one LEFT JOIN gift ON true`,
      [tokenId, principal.accountId, input.toHandle, input.idempotencyKey],
    );
    if (!made.token_exists) throw problems.notFound('Token');
    if (made.id === null && made.recipient_id !== null && made.recipient_id !== principal.accountId)
      throw new KeyAlreadyUsed();
    if (made.recipient_id === null) throw problems.notFound('The recipient');
    if (made.recipient_id === principal.accountId)
      throw problems.unprocessable('gift-to-self', 'You already hold what you would give yourself');
    const recipient = { id: made.recipient_id };
    // Listings first, then the token: the order settlement locks them in.
    await this.listings.takeOffSale(manager, [tokenId], 'refuse');
    const token = await lockGiftableToken(manager, tokenId);
    if (!token) throw problems.notFound('Token');
    if (token.owner_id !== principal.accountId)
      throw problems.forbidden('Only the token’s owner can give it');
    if (token.status !== 'active') throw problems.conflict('token-state', `The token is ${token.status}`);
    if (!token.gifts_allowed)
      throw problems.conflict('gifts-not-allowed', 'This collection does not allow gifts');
    // The creator hands out their own editions freely; the hold period binds those who acquired one.
    if (token.owner_id !== token.creator_id) {
      const allowedFrom = new Date(token.acquired_at.getTime() + token.hold_days * DAY_MS);
      if (allowedFrom > new Date()) {
        throw problems.conflict(
          'hold-period',
          `This collection’s tokens can be given ${token.hold_days} days after they are acquired, from ${allowedFrom.toISOString()}`,
          { allowedFrom: allowedFrom.toISOString() },
        );
      }
    }
    if (token.real_name_required) {
      const [giver, receiver] = await Promise.all([
        this.identity.isRealNameVerified(principal.accountId, manager),
        this.identity.isRealNameVerified(recipient.id, manager),
      ]);
      if (!giver || !receiver) {
        throw problems.conflict(
          'real-name-required',
          giver
            ? 'This collection requires real-name verification, and the recipient has not passed it'
            : 'This collection requires real-name verification; verify yours first (POST /me/real-name)',
          { side: giver ? 'recipient' : 'giver' },
        );
      }
    }
    const gift: GiftRow = {
      id: made.id!,
      token_id: tokenId,
      from_handle: made.from_handle,
      to_handle: input.toHandle,
      created_at: made.created_at!,
    };
    await this.ownership.change(
      manager,
      tokenId,
      { type: 'transfer', to: recipient.id, ref: gift.id },
      token,
    );
    await notify(manager, [
      {
        accountId: recipient.id,
        kind: 'gift.received',
        subject: { kind: 'token', id: tokenId },
        data: { tokenId, giftId: gift.id, fromHandle: gift.from_handle },
      },
    ]);
    return giftView(gift);
  }

  /** A retried gift answers what the first one did; the key reused for another gift is refused. */
  private replay(gift: GiftRow, tokenId: string, toHandle: string) {
    if (gift.token_id !== tokenId || gift.to_handle !== toHandle) {
      throw problems.conflict(
        'idempotency-key-reused',
        'This idempotencyKey was used for another gift; send a fresh key for a new gift',
      );
    }
    return giftView(gift);
  }

  private async findGift(
    manager: EntityManager,
    fromId: string,
    idempotencyKey: string,
  ): Promise<GiftRow | undefined> {
    const [row]: GiftRow[] = await manager.query(
      `SELECT g.id, g.token_id, f.handle AS from_handle, t.handle AS to_handle, g.created_at
       FROM gifts g JOIN accounts f ON f.id = g.from_id JOIN accounts t ON t.id = g.to_id
       WHERE g.from_id = $1 AND g.idempotency_key = $2`,
      [fromId, idempotencyKey],
    );
    return row;
  }
}

async function lockGiftableToken(
  manager: EntityManager,
  tokenId: string,
): Promise<GiftableToken | undefined> {
  const [token]: GiftableToken[] = await manager.query(
    `SELECT t.owner_id, t.status, t.ledger_seq, t.last_event_at, t.creator_id, t.acquired_at,
            c.gifts_allowed, c.hold_days, c.real_name_required OR ${PLATFORM_REAL_NAME_SQL} AS real_name_required
     FROM tokens t JOIN collections c ON c.id = t.collection_id WHERE t.id = $1 FOR UPDATE OF t`,
    [tokenId],
  );
  return token;
}

function giftView(row: GiftRow) {
  return {
    giftId: row.id,
    tokenId: row.token_id,
    fromHandle: row.from_handle,
    toHandle: row.to_handle,
    ledgerRef: row.id,
    givenAt: new Date(row.created_at).toISOString(),
  };
}
