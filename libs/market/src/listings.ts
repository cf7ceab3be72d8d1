import type { EntityManager } from 'typeorm';
import { preparedQuery, updateReturning } from '#database';
import { ORDER_COLUMNS, type OrderRow } from '#orders';

// Market's statements for what other libs do to listings: an order takes an edition, gives it back,
// or buys it; a reverted sale puts it back on sale. The SQL lives here so listings have one writer;
// callers pass their transaction's EntityManager, so each statement runs where it always did.

export interface ListingRow {
  id: string;
  token_id: string;
  seller_id: string;
  kind: 'primary' | 'resale';
  drop_id: string | null;
  price_minor: string;
  currency: string;
  status: 'active' | 'sold' | 'withdrawn';
  reserved_order: string | null;
  reserved_until: Date | null;
}

export async function lockListing(manager: EntityManager, listingId: string): Promise<ListingRow> {
  const [row] = await manager.query(`SELECT * FROM listings WHERE id = $1 FOR UPDATE`, [listingId]);
  return row;
}

/** Holds a listing (not in a drop) for an order for `ttl` seconds; `undefined` if it is not free. */
export async function reserveListing(
  manager: EntityManager,
  listingId: string,
  buyerId: string,
  orderId: string,
  ttl: number,
): Promise<ListingRow | undefined> {
  const [listing] = await updateReturning<ListingRow>(
    manager,
    `UPDATE listings SET reserved_order = $2, reserved_for = $3, reserved_until = now() + $4 * interval '1 second'
     WHERE id = $1 AND status = 'active' AND drop_id IS NULL
       AND (reserved_until IS NULL OR reserved_until < now())
     RETURNING *`,
    [listingId, orderId, buyerId, ttl],
  );
  return listing;
}

/**
 * Holds any free edition of a drop for an order for `ttl` seconds; `undefined` if none is free.
 * Buyers take any free edition, skipping rows other checkouts have locked, so concurrent buyers
 * never wait on each other. After a lottery, each winner holds an allocated edition until the claim
 * window ends; editions nobody won (fewer entrants than editions) are on open sale at once.
 */
export async function reserveFromDrop(
  manager: EntityManager,
  drop: { drop_id: string | null; mode: 'first-come' | 'lottery' },
  buyerId: string,
  orderId: string,
  ttl: number,
): Promise<ListingRow | undefined> {
  const allocation =
    drop.mode === 'lottery'
      ? 'AND (allocated_to = $3 OR allocated_to IS NULL OR allocated_until < now()) ORDER BY allocated_to = $3 DESC NULLS LAST'
      : 'AND allocated_to IS NULL';
  const [listing] = await updateReturning<ListingRow>(
    manager,
    `UPDATE listings SET reserved_order = $2, reserved_for = $3, reserved_until = now() + $4 * interval '1 second'
     WHERE id = (
       SELECT id FROM listings
       WHERE drop_id = $1 AND status = 'active' AND (reserved_until IS NULL OR reserved_until < now()) ${allocation}
       LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [drop.drop_id, orderId, buyerId, ttl],
  );
  return listing;
}

/** A batch of reservations at one plain (first-come, no per-buyer rule) drop, for `reserveFromDropInOneCall`. */
export interface DropReservations {
  dropId: string;
  orderIds: string[];
  buyerIds: string[];
  idempotencyKeys: string[];
  ttlSeconds: number;
  maxUnpaidHolds: number;
}

/**
 * Reserves free editions of a drop and inserts their orders in one autocommit call of the SQL
 * function `reserve_from_drop` (migrations ReserveFromDropInOneCall, CapHoldsAndTicketEntries).
 * That function is market's statement: it writes `orders` too, for speed (one round trip per batch
 * at a drop rush), so it is the one place outside libs/orders that inserts orders. It takes the
 * checkout's idempotency-key and buyer locks (see checkout's lock-keys.ts). The orders made, in no
 * particular order; a request with no order got no edition (or its buyer was at the hold cap).
 */
export async function reserveFromDropInOneCall(
  manager: EntityManager,
  batch: DropReservations,
): Promise<OrderRow[]> {
  return preparedQuery<OrderRow>(
    manager,
    'checkout:reserve-from-drop',
    `SELECT ${ORDER_COLUMNS} FROM reserve_from_drop($1, $2, $3, $4, $5, $6)`,
    [
      batch.dropId,
      batch.orderIds,
      batch.buyerIds,
      batch.idempotencyKeys,
      batch.ttlSeconds,
      batch.maxUnpaidHolds,
    ],
  );
}

/** Frees a listing held by this order (no-op if another order holds it now). */
export async function releaseListing(
  manager: EntityManager,
  listingId: string,
  orderId: string,
): Promise<void> {
  await manager.query(
    `UPDATE listings SET reserved_order = NULL, reserved_until = NULL, reserved_for = NULL
     WHERE id = $1 AND reserved_order = $2 AND status = 'active'`,
    [listingId, orderId],
  );
}

/** A sale undone: its listing is on sale again, unless the token has another active listing by now. */
export async function relistAfterRevert(manager: EntityManager, listingId: string): Promise<void> {
  await manager.query(
    `UPDATE listings SET status = 'active', reserved_order = NULL, reserved_until = NULL WHERE id = $1
     AND NOT EXISTS (SELECT 1 FROM listings o WHERE o.token_id = listings.token_id AND o.status = 'active')`,
    [listingId],
  );
}

/** How many parameters `listingsSoldCtes` takes. */
export const LISTINGS_SOLD_PARAMS = 2;

/**
 * The CTEs `s` (the sales: listing and order ids) and `sold` that mark listings sold to their orders,
 * over parameters `$first` (listing ids) and `$first+1` (order ids), for settlement's one statement
 * that also pays the orders and posts the sales' journal entries (see settlement's `markSold`).
 */
export function listingsSoldCtes(first: number): string {
  return `s AS (SELECT * FROM unnest($${first}::uuid[], $${first + 1}::uuid[]) AS s(listing_id, order_id)),
     sold AS (
       UPDATE listings l SET status = 'sold', reserved_order = s.order_id, reserved_until = NULL
       FROM s WHERE l.id = s.listing_id)`;
}

/** The parameters of `listingsSoldCtes` for these sales. */
export function listingsSoldValues(sales: readonly { listingId: string; orderId: string }[]): unknown[] {
  return [sales.map((sale) => sale.listingId), sales.map((sale) => sale.orderId)];
}
