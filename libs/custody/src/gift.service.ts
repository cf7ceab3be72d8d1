import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Batcher, inTransaction, isUniqueViolation, NEXT_BATCH } from '#database';
import { type DomainError, problems } from '#http';
import { IdentityService, type Principal } from '#identity';
import { ListingService } from '#market';
import { OwnershipService, type LockedTokenState } from '#minting';
import { notify } from '#notifications';
import { emitEvents } from '#webhooks';
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

/** One request to give a token. */
interface GiftRequest {
  giverId: string;
  tokenId: string;
  toHandle: string;
  idempotencyKey: string;
}

/** What a batch answers a request: the gift made, why it was refused, or "the key made one before". */
type GiftOutcome = { gift: ReturnType<typeof giftView> } | { refused: DomainError } | { keyUsed: true };

/**
 * Gifts: an owner gives a token to another account, under the collection's policy (gifts allowed,
 * the hold period since the owner acquired it, real-name verification of both sides when the
 * collection requires it). The token leaves the market and the ledger records a `transfer` whose ref
 * is the gift's id. Idempotent per sender and key.
 *
 * Gifts arriving together are made together: one transaction and a handful of set-based statements
 * per batch (see Batcher), each request checked on its own and refused alone. A batch that fails in
 * the database (a key raced by another process, a ledger mismatch) is retried one request at a time.
 */
@Injectable()
export class GiftService {
  private readonly batches = new Batcher<GiftRequest, GiftOutcome>({
    maxBatch: 64,
    run: (requests) => inTransaction(this.dataSource, (manager) => this.giveBatch(manager, requests)),
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly identity: IdentityService,
    private readonly listings: ListingService,
    private readonly ownership: OwnershipService,
  ) {}

  async gift(principal: Principal, tokenId: string, input: { toHandle: string; idempotencyKey: string }) {
    let outcome: GiftOutcome;
    try {
      outcome = await this.batches.submit({ giverId: principal.accountId, tokenId, ...input });
    } catch (error) {
      // The same key sent twice at once: the other request gave it.
      if (!isUniqueViolation(error, 'gifts_idempotency_key')) throw error;
      outcome = { keyUsed: true };
    }
    if ('refused' in outcome) throw outcome.refused;
    if ('gift' in outcome) return outcome.gift;
    const earlier = await this.findGift(this.dataSource.manager, principal.accountId, input.idempotencyKey);
    return this.replay(earlier!, tokenId, input.toHandle);
  }

  private async giveBatch(
    manager: EntityManager,
    requests: readonly GiftRequest[],
  ): Promise<(GiftOutcome | typeof NEXT_BATCH)[]> {
    const outcomes: (GiftOutcome | typeof NEXT_BATCH | undefined)[] = requests.map(() => undefined);
    // One request per token and per key in a batch; the others wait for the next one.
    const tokens = new Set<string>();
    const keys = new Set<string>();
    requests.forEach((request, i) => {
      const key = `${request.giverId} ${request.idempotencyKey}`;
      if (tokens.has(request.tokenId) || keys.has(key)) outcomes[i] = NEXT_BATCH;
      tokens.add(request.tokenId);
      keys.add(key);
    });
    const open = () => requests.flatMap((request, i) => (outcomes[i] === undefined ? [{ request, i }] : []));

    const used = await keysUsedBefore(
      manager,
      open().map(({ request }) => request),
    );
    for (const { request, i } of open())
      if (used.has(`${request.giverId} ${request.idempotencyKey}`)) outcomes[i] = { keyUsed: true };
    const recipients = await lockRecipients(
      manager,
      open().map(({ request }) => request.toHandle),
    );
    // Listings first, then the tokens: the order settlement locks them in.
    const tokenIds = open().map(({ request }) => request.tokenId);
    const held = await this.listings.lockListingsOf(manager, tokenIds);
    const giftable = await lockGiftableTokens(manager, tokenIds);

    const accepted: { request: GiftRequest; i: number; recipientId: string; token: GiftableToken }[] = [];
    for (const { request, i } of open()) {
      const recipientId = recipients.get(request.toHandle);
      const refusal = await this.refusal(manager, request, recipientId, giftable.get(request.tokenId), held);
      if (refusal) outcomes[i] = { refused: refusal };
      else accepted.push({ request, i, recipientId: recipientId!, token: giftable.get(request.tokenId)! });
    }
    if (accepted.length > 0) {
      await this.listings.takeOffSale(
        manager,
        accepted.map(({ request }) => request.tokenId),
        'refuse',
      );
      const made: { id: string; token_id: string; created_at: Date; from_handle: string }[] =
        await manager.query(
          `INSERT INTO gifts (token_id, from_id, to_id, idempotency_key)
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[])
         RETURNING id, token_id, created_at, (SELECT handle FROM accounts WHERE id = from_id) AS from_handle`,
          [
            accepted.map(({ request }) => request.tokenId),
            accepted.map(({ request }) => request.giverId),
            accepted.map(({ recipientId }) => recipientId),
            accepted.map(({ request }) => request.idempotencyKey),
          ],
        );
      const byToken = new Map(made.map((gift) => [gift.token_id, gift]));
      await this.ownership.changeLocked(
        manager,
        accepted.map(({ request, recipientId, token }) => ({
          tokenId: request.tokenId,
          change: { type: 'transfer', to: recipientId, ref: byToken.get(request.tokenId)!.id },
          locked: token,
        })),
      );
      await notify(
        manager,
        accepted.map(({ request, recipientId }) => {
          const gift = byToken.get(request.tokenId)!;
          return {
            accountId: recipientId,
            kind: 'gift.received',
            subject: { kind: 'token', id: request.tokenId },
            data: { tokenId: request.tokenId, giftId: gift.id, fromHandle: gift.from_handle },
          };
        }),
      );
      await emitEvents(
        manager,
        accepted.map(({ request, recipientId }) => ({
          type: 'token.transferred' as const,
          accountIds: [request.giverId, recipientId],
          data: {
            tokenId: request.tokenId,
            fromId: request.giverId,
            toId: recipientId,
            reason: 'gift',
            giftId: byToken.get(request.tokenId)!.id,
          },
        })),
      );
      for (const { request, i } of accepted) {
        const gift = byToken.get(request.tokenId)!;
        outcomes[i] = {
          gift: giftView({ ...gift, to_handle: request.toHandle }),
        };
      }
    }
    return outcomes.map((outcome) => outcome!);
  }

  /** Why this gift may not be made, or undefined when it may. */
  private async refusal(
    manager: EntityManager,
    request: GiftRequest,
    recipientId: string | undefined,
    token: GiftableToken | undefined,
    held: Map<string, { listingId: string; heldUntil: Date }>,
  ): Promise<DomainError | undefined> {
    if (!recipientId) return problems.notFound('The recipient');
    if (recipientId === request.giverId)
      return problems.unprocessable('gift-to-self', 'You already hold what you would give yourself');
    if (!token) return problems.notFound('Token');
    const hold = held.get(request.tokenId);
    if (hold)
      return problems.conflict(
        'listing-reserved',
        'A buyer is checking out this listing right now; try again after the hold ends',
        { listingId: hold.listingId, heldUntil: hold.heldUntil.toISOString() },
      );
    if (token.owner_id !== request.giverId) return problems.forbidden('Only the token’s owner can give it');
    if (token.status !== 'active') return problems.conflict('token-state', `The token is ${token.status}`);
    if (!token.gifts_allowed)
      return problems.conflict('gifts-not-allowed', 'This collection does not allow gifts');
    // The creator hands out their own editions freely; the hold period binds those who acquired one.
    if (token.owner_id !== token.creator_id) {
      const allowedFrom = new Date(token.acquired_at.getTime() + token.hold_days * DAY_MS);
      if (allowedFrom > new Date()) {
        return problems.conflict(
          'hold-period',
          `This collection’s tokens can be given ${token.hold_days} days after they are acquired, from ${allowedFrom.toISOString()}`,
          { allowedFrom: allowedFrom.toISOString() },
        );
      }
    }
    if (token.real_name_required) {
      const giver = await this.identity.isRealNameVerified(request.giverId, manager);
      const receiver = await this.identity.isRealNameVerified(recipientId, manager);
      if (!giver || !receiver) {
        return problems.conflict(
          'real-name-required',
          giver
            ? 'This collection requires real-name verification, and the recipient has not passed it'
            : 'This collection requires real-name verification; verify yours first (POST /me/real-name)',
          { side: giver ? 'recipient' : 'giver' },
        );
      }
    }
    return undefined;
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

/** The `giverId idempotencyKey` pairs of these requests that made a gift before. */
async function keysUsedBefore(
  manager: EntityManager,
  requests: readonly GiftRequest[],
): Promise<Set<string>> {
  const rows: { used: string }[] = await manager.query(
    `SELECT g.from_id || ' ' || g.idempotency_key AS used
     FROM unnest($1::uuid[], $2::text[]) AS r(from_id, idempotency_key)
     JOIN gifts g ON g.from_id = r.from_id AND g.idempotency_key = r.idempotency_key`,
    [requests.map((request) => request.giverId), requests.map((request) => request.idempotencyKey)],
  );
  return new Set(rows.map((row) => row.used));
}

/** The tokens, locked in id order (as every batch takes them), with their collection's gift policy. */
async function lockGiftableTokens(
  manager: EntityManager,
  tokenIds: readonly string[],
): Promise<Map<string, GiftableToken>> {
  const rows: (GiftableToken & { id: string })[] = await manager.query(
    `SELECT t.id, t.owner_id, t.status, t.ledger_seq, t.last_event_at, t.creator_id, t.acquired_at,
            c.gifts_allowed, c.hold_days, c.real_name_required OR ${PLATFORM_REAL_NAME_SQL} AS real_name_required
     FROM tokens t JOIN collections c ON c.id = t.collection_id
     WHERE t.id = ANY($1::text[]) ORDER BY t.id FOR UPDATE OF t`,
    [tokenIds],
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * The accounts `handles` name, by handle, key-share locked as the gifts' foreign keys will: a
 * deletion of one running now is waited for, and then its tombstone handle names nobody.
 */
async function lockRecipients(
  manager: EntityManager,
  handles: readonly string[],
): Promise<Map<string, string>> {
  const rows: { id: string; handle: string }[] = await manager.query(
    `SELECT id, handle FROM accounts WHERE handle = ANY($1::text[]) AND deleted_at IS NULL
     ORDER BY id FOR KEY SHARE`,
    [handles],
  );
  return new Map(rows.map((row) => [row.handle, row.id]));
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
