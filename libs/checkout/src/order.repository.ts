import type { EntityManager } from 'typeorm';
import type { OrderStatus } from './order-state.js';

export interface OrderRow {
  id: string;
  buyer_id: string;
  seller_id: string;
  listing_id: string;
  token_id: string;
  drop_id: string | null;
  amount_minor: string;
  currency: string;
  status: OrderStatus;
  idempotency_key: string;
  reserved_until: Date;
  payment_id: string | null;
  decline_code: string | null;
  card_brand: string | null;
  card_last4: string | null;
  created_at: Date;
  paid_at: Date | null;
}

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

/** Locks an order by id or by its provider payment id. */
export async function lockOrder(
  manager: EntityManager,
  by: { orderId?: string; paymentId?: string },
): Promise<OrderRow | undefined> {
  if (by.paymentId) {
    const [row] = await manager.query(`SELECT * FROM orders WHERE payment_id = $1 FOR UPDATE`, [
      by.paymentId,
    ]);
    if (row) return row;
  }
  if (!by.orderId || !/^[0-9a-f-]{36}$/i.test(by.orderId)) return undefined;
  const [row] = await manager.query(`SELECT * FROM orders WHERE id = $1 FOR UPDATE`, [by.orderId]);
  return row;
}

export async function lockListing(manager: EntityManager, listingId: string): Promise<ListingRow> {
  const [row] = await manager.query(`SELECT * FROM listings WHERE id = $1 FOR UPDATE`, [listingId]);
  return row;
}

/** Moves an order to a new status (and optional columns) in the caller's transaction. */
export async function setOrderStatus(
  manager: EntityManager,
  orderId: string,
  status: OrderStatus,
  extra: Partial<Record<'payment_id' | 'decline_code' | 'card_brand' | 'card_last4', string | null>> & {
    paid?: boolean;
  } = {},
): Promise<void> {
  await manager.query(
    `UPDATE orders SET status = $2,
       payment_id = COALESCE($3, payment_id), decline_code = COALESCE($4, decline_code),
       card_brand = COALESCE($5, card_brand), card_last4 = COALESCE($6, card_last4),
       paid_at = CASE WHEN $7 THEN now() ELSE paid_at END
     WHERE id = $1`,
    [
      orderId,
      status,
      extra.payment_id ?? null,
      extra.decline_code ?? null,
      extra.card_brand ?? null,
      extra.card_last4 ?? null,
      extra.paid ?? false,
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
