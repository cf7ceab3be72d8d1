import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { Batcher, NEXT_BATCH, preparedQuery } from '#database';
import { problems } from '#http';
import { IdentityService } from '#identity';
import { formatMoney, minimumChargeMinor } from '#money';
import { reserveFromDrop, reserveFromDropInOneCall, reserveListing, type ListingRow } from '#market';
import { findOrderByKey, insertReservedOrder, type OrderRow } from '#orders';
import { listingUnavailable, soldOut, unpaidHoldLimit } from './checkout-errors.js';
import type { CheckoutDto } from './checkout.dto.js';
import { buyerLockKey, idempotencyLockKey } from './lock-keys.js';
import { PLATFORM_REAL_NAME_SQL } from '#policies';

/** What checkout needs to know about a drop, read in one statement before any transaction. */
export interface DropCheckout {
  drop_id: string | null;
  starts_at: Date;
  mode: 'first-come' | 'lottery';
  drawn_at: Date | null;
  creator_id: string;
  drop_limit: number | null;
  collection_limit: number | null;
  real_name: boolean;
  /** First-come: an edition is free to reserve right now. */
  available: boolean;
  /** The buyer's order under this idempotency key, if there is one. */
  previous_id: string | null;
  /** The buyer's unpaid reservations holding an edition right now, anywhere. */
  unpaid_holds: number;
}

/** A checkout's question about a drop, waiting for its batch. */
interface DropLookup {
  dropId: string;
  buyerId: string;
  key: string;
}

/** A reservation request at a plain drop, waiting for its batch. */
interface PlainReservation {
  dropId: string;
  orderId: string;
  buyerId: string;
  idempotencyKey: string;
}

/**
 * Reserving an edition for a buyer: row locks and SKIP LOCKED, so it is race-free across API
 * processes; drop policy (start time, lottery allocation, per-buyer limit, real-name) is checked here.
 */
@Injectable()
export class ReservationService {
  /** Reservations at plain drops, grouped per drop (see `reserveFromPlainDrop`). */
  private readonly plainDropReservations = new Batcher<PlainReservation, OrderRow | undefined>({
    maxBatch: 64,
    compatible: (first, other) => first.dropId === other.dropId,
    run: (requests) => this.reserveBatch(requests),
  });

  /** Drop lookups, grouped per drop (see `dropForCheckout`). */
  private readonly dropLookups = new Batcher<DropLookup, DropCheckout>({
    maxBatch: 256,
    compatible: (first, other) => first.dropId === other.dropId,
    run: (lookups) => this.lookUpDrop(lookups),
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly identity: IdentityService,
  ) {}

  /**
   * The drop, the buyer's policy, whether an edition is free, and the buyer's order under this key —
   * in one statement, so one snapshot: a retry sees its original's order, or else the original's
   * reservation is not committed either and the edition still looks free (no false sold-out).
   * Lookups at one drop that arrive while one runs share the next statement.
   */
  async dropForCheckout(dropId: string, buyerId: string, key: string): Promise<DropCheckout> {
    return this.dropLookups.submit({ dropId, buyerId, key });
  }

  private async lookUpDrop(lookups: DropLookup[]): Promise<DropCheckout[]> {
    const rows = await preparedQuery<DropCheckout & { request: number }>(
      this.dataSource.manager,
      'checkout:drop-for-checkout',
      `SELECT r.request::int AS request, d.id AS drop_id, d.starts_at, d.mode, d.drawn_at, d.creator_id,
              d.per_buyer_limit AS drop_limit, c.per_buyer_limit AS collection_limit,
              coalesce(c.real_name_required, false) OR ${PLATFORM_REAL_NAME_SQL} AS real_name,
              -- The same two index ranges as the reservation in reserve_from_drop.
              coalesce((SELECT true FROM listings WHERE drop_id = $1 AND status = 'active'
                          AND reserved_until IS NULL AND allocated_to IS NULL ORDER BY reserved_until LIMIT 1),
                        (SELECT true FROM listings WHERE drop_id = $1 AND status = 'active'
                          AND reserved_until < now() AND allocated_to IS NULL ORDER BY reserved_until LIMIT 1),
                        false) AS available,
              o.id AS previous_id, ${unpaidHoldsSql('r.buyer_id')} AS unpaid_holds
       FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS r(buyer_id, idempotency_key, request)
         LEFT JOIN drops d ON d.id = $1
         LEFT JOIN collections c ON c.id = d.collection_id
         LEFT JOIN orders o ON o.buyer_id = r.buyer_id AND o.idempotency_key = r.idempotency_key`,
      [lookups[0].dropId, lookups.map((lookup) => lookup.buyerId), lookups.map((lookup) => lookup.key)],
    );
    const byRequest = new Map(rows.map(({ request, ...drop }) => [request, drop]));
    return lookups.map((_lookup, index) => byRequest.get(index + 1)!);
  }

  /**
   * The usual drop (first-come, no per-buyer rule): reserves a free edition and inserts the order in
   * one autocommit call that takes the key's lock first (see migration ReserveFromDropInOneCall);
   * requests at one drop that arrive while a call runs share the next call. `undefined` when no
   * edition was free: then `reserveOrReplay` tells a replay from sold-out. A replay racing its
   * original surfaces as the key's unique violation, answered by checkout.
   */
  async reserveFromPlainDrop(
    drop: DropCheckout,
    buyerId: string,
    idempotencyKey: string,
  ): Promise<OrderRow | undefined> {
    if (!isPlainDrop(drop, buyerId)) return undefined;
    return this.plainDropReservations.submit({
      dropId: drop.drop_id!,
      orderId: randomUUID(),
      buyerId,
      idempotencyKey,
    });
  }

  private async reserveBatch(
    requests: PlainReservation[],
  ): Promise<(OrderRow | undefined | typeof NEXT_BATCH)[]> {
    // One request per idempotency key and call: a retry waits for its original's call to end.
    const keys = new Set<string>();
    const deferred = requests.map(({ buyerId, idempotencyKey }) => {
      const key = idempotencyLockKey(buyerId, idempotencyKey);
      return keys.has(key) || !keys.add(key);
    });
    const now = requests.filter((_request, index) => !deferred[index]);
    const orders = await reserveFromDropInOneCall(this.dataSource.manager, {
      dropId: requests[0].dropId,
      orderIds: now.map((request) => request.orderId),
      buyerIds: now.map((request) => request.buyerId),
      idempotencyKeys: now.map((request) => request.idempotencyKey),
      ttlSeconds: this.config.reservationTtlSeconds,
      maxUnpaidHolds: this.config.maxUnpaidHolds,
    });
    const byId = new Map(orders.map((order) => [order.id, order]));
    return requests.map((request, index) => (deferred[index] ? NEXT_BATCH : byId.get(request.orderId)));
  }

  /**
   * Under the key's lock: the order already made with this key, or else a new reservation — except
   * at a plain drop, where `reserveFromPlainDrop` has just reserved nothing: the buyer's holds were
   * at the cap, or else no edition was free.
   */
  async reserveOrReplay(
    manager: EntityManager,
    buyerId: string,
    request: CheckoutDto,
    drop: DropCheckout | undefined,
  ): Promise<{ order: OrderRow; replay?: undefined } | { replay: OrderRow }> {
    const replay = await findOrderByKey(manager, buyerId, request.idempotencyKey);
    if (replay) return { replay };
    if (drop && isPlainDrop(drop, buyerId)) {
      throw (await this.unpaidHolds(manager, buyerId)) >= this.config.maxUnpaidHolds
        ? unpaidHoldLimit(this.config.maxUnpaidHolds)
        : soldOut();
    }
    return { order: await this.reserve(manager, buyerId, request, drop) };
  }

  private async reserve(
    manager: EntityManager,
    buyerId: string,
    request: CheckoutDto,
    drop: DropCheckout | undefined,
  ): Promise<OrderRow> {
    const orderId = randomUUID();
    const ttlSeconds = this.config.reservationTtlSeconds;
    const listing = drop
      ? await this.reserveFromDrop(manager, drop, buyerId, orderId, ttlSeconds)
      : await this.reserveListing(manager, request.listingId!, buyerId, orderId, ttlSeconds);
    if (listing.seller_id === buyerId)
      throw problems.conflict('own-listing', 'You cannot buy your own listing');
    assertPayableByCard(listing);
    await this.checkBuyerPolicy(manager, buyerId, listing);
    return insertReservedOrder(manager, {
      orderId,
      buyerId,
      idempotencyKey: request.idempotencyKey,
      listing,
    });
  }

  private async reserveListing(
    manager: EntityManager,
    listingId: string,
    buyerId: string,
    orderId: string,
    ttl: number,
  ): Promise<ListingRow> {
    const listing = await reserveListing(manager, listingId, buyerId, orderId, ttl);
    if (!listing) throw await listingUnavailable(manager, listingId);
    return listing;
  }

  private async reserveFromDrop(
    manager: EntityManager,
    drop: DropCheckout,
    buyerId: string,
    orderId: string,
    ttl: number,
  ): Promise<ListingRow> {
    const listing = await reserveFromDrop(manager, drop, buyerId, orderId, ttl);
    if (!listing) throw soldOut();
    return listing;
  }

  /** The cap on unpaid holds, per-buyer limits and real-name requirements of the drop and the collection. */
  private async checkBuyerPolicy(
    manager: EntityManager,
    buyerId: string,
    listing: ListingRow,
  ): Promise<void> {
    const [policy]: {
      collection_id: string;
      collection_limit: number | null;
      drop_limit: number | null;
      real_name: boolean;
    }[] = await manager.query(
      `SELECT c.id AS collection_id, c.per_buyer_limit AS collection_limit, d.per_buyer_limit AS drop_limit,
                c.real_name_required OR ${PLATFORM_REAL_NAME_SQL} AS real_name
         FROM tokens t JOIN collections c ON c.id = t.collection_id LEFT JOIN drops d ON d.id = $2
         WHERE t.id = $1`,
      [listing.token_id, listing.drop_id],
    );
    if (policy.real_name && !(await this.identity.isRealNameVerified(buyerId, manager))) {
      throw problems.forbidden('This collection requires real-name verification before buying');
    }
    // One buyer's reservations are serialised (reserve_from_drop takes the same lock), so parallel
    // requests slip past neither the cap on unpaid holds nor a per-buyer limit.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [buyerLockKey(buyerId)]);
    if ((await this.unpaidHolds(manager, buyerId)) >= this.config.maxUnpaidHolds) {
      throw unpaidHoldLimit(this.config.maxUnpaidHolds);
    }
    const limit = policy.drop_limit ?? policy.collection_limit;
    if (limit === null) return;
    // Bought, or held right now: a lapsed hold no longer counts.
    const [{ count }]: { count: string }[] = await manager.query(
      `SELECT count(*) FROM orders o JOIN tokens t ON t.id = o.token_id
       WHERE o.buyer_id = $1 AND t.collection_id = $2
         AND (o.status IN ('paid', 'disputed')
              OR (o.status IN ('reserved', 'requires_action') AND o.reserved_until > now()))
         AND ($3::uuid IS NULL OR o.drop_id = $3)`,
      [buyerId, policy.collection_id, policy.drop_limit === null ? null : listing.drop_id],
    );
    if (Number(count) >= limit) {
      throw problems.conflict(
        'buyer-limit-reached',
        `At most ${limit} per buyer, counting editions you hold unpaid`,
      );
    }
  }

  private async unpaidHolds(manager: EntityManager, buyerId: string): Promise<number> {
    const [{ holds }] = await preparedQuery<{ holds: number }>(
      manager,
      'checkout:unpaid-holds',
      `SELECT ${unpaidHoldsSql('$1::uuid')} AS holds`,
      [buyerId],
    );
    return holds;
  }
}

/** SQL: how many unpaid reservations the buyer holds right now (over orders_buyer_holds_idx). */
function unpaidHoldsSql(buyer: string): string {
  return `(SELECT count(*)::int FROM orders h WHERE h.buyer_id = ${buyer}
            AND h.status IN ('reserved', 'requires_action') AND h.reserved_until > now())`;
}

/** First-come, no per-buyer limit, no real-name rule, and not the creator buying their own drop. */
function isPlainDrop(drop: DropCheckout, buyerId: string): boolean {
  return (
    drop.mode === 'first-come' &&
    drop.creator_id !== buyerId &&
    drop.drop_limit === null &&
    drop.collection_limit === null &&
    !drop.real_name
  );
}

/** Refuses checkout at a drop that does not exist, has not opened, or (first-come) has nothing free. */
export function assertDropOpen(drop: DropCheckout): void {
  if (!drop.drop_id) throw problems.notFound('Drop');
  if (drop.starts_at > new Date())
    throw problems.conflict('drop-not-started', 'The drop has not started yet');
  if (drop.mode === 'lottery' && !drop.drawn_at) {
    throw problems.conflict('lottery-not-drawn', 'Enter the lottery; winners can check out after the draw');
  }
  if (drop.mode === 'first-come' && !drop.available) throw soldOut();
}

/**
 * A listing priced below the smallest card charge in its currency (one created before listings were
 * checked) cannot be paid: refused before anything is held (the caller's transaction rolls back).
 */
function assertPayableByCard(listing: ListingRow): void {
  const minimum = minimumChargeMinor(listing.currency);
  if (Number(listing.price_minor) >= minimum) return;
  throw problems.conflict(
    'price-below-minimum',
    `This item is priced below ${formatMoney(minimum, listing.currency)}, the smallest amount a card payment in ${listing.currency} can have, so it cannot be bought until the seller reprices it`,
    { minimumPriceMinor: minimum, currency: listing.currency },
  );
}
