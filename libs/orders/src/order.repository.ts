import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
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

/** The columns of `OrderRow`. */
export const ORDER_COLUMN_NAMES = [
  'id',
  'buyer_id',
  'seller_id',
  'listing_id',
  'token_id',
  'drop_id',
  'amount_minor',
  'currency',
  'status',
  'idempotency_key',
  'reserved_until',
  'payment_id',
  'decline_code',
  'card_brand',
  'card_last4',
  'created_at',
  'paid_at',
] as const satisfies readonly (keyof OrderRow)[];

/** The columns of `OrderRow`, for statements that must not use `*` (see `preparedQuery`). */
export const ORDER_COLUMNS = ORDER_COLUMN_NAMES.join(', ');

/** Locks an order by id (for the buyer's own requests; events find theirs with `lockOrderForEvent`). */
export async function lockOrder(
  manager: EntityManager,
  by: { orderId: string },
): Promise<OrderRow | undefined> {
  const orderId = validOrderId(by.orderId);
  if (!orderId) return undefined;
  const [row] = await preparedQuery<OrderRow>(
    manager,
    'checkout:lock-order',
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1::uuid FOR UPDATE`,
    [orderId],
  );
  return row;
}

/** `orderId` if it has the shape of an order id, else null (so a query never fails on a bad uuid). */
export function validOrderId(orderId: string | undefined): string | null {
  return orderId && /^[0-9a-f-]{36}$/i.test(orderId) ? orderId : null;
}

/** The buyer's order under an idempotency key, if any. */
export async function findOrderByKey(
  manager: EntityManager,
  buyerId: string,
  key: string,
): Promise<OrderRow | undefined> {
  const [order] = await preparedQuery<OrderRow>(
    manager,
    'checkout:find-by-key',
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE buyer_id = $1 AND idempotency_key = $2`,
    [buyerId, key],
  );
  return order;
}

/** A new reservation's order: the listing reserved for it and the buyer's idempotency key. */
export interface NewOrder {
  orderId: string;
  buyerId: string;
  idempotencyKey: string;
  listing: {
    id: string;
    token_id: string;
    drop_id: string | null;
    seller_id: string;
    price_minor: string;
    currency: string;
    reserved_until: Date | null;
  };
}

/** Inserts a reserved order for the listing just reserved for it (in the caller's transaction). */
export async function insertReservedOrder(manager: EntityManager, order: NewOrder): Promise<OrderRow> {
  const { listing } = order;
  const [row]: OrderRow[] = await manager.query(
    `INSERT INTO orders (id, buyer_id, listing_id, token_id, drop_id, seller_id, amount_minor, currency, status,
       idempotency_key, reserved_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'reserved', $9, $10) RETURNING *`,
    [
      order.orderId,
      order.buyerId,
      listing.id,
      listing.token_id,
      listing.drop_id,
      listing.seller_id,
      listing.price_minor,
      listing.currency,
      order.idempotencyKey,
      listing.reserved_until,
    ],
  );
  return row;
}

/** Records the processor's payment id on an order that has none yet (its status is left as is). */
export async function recordPaymentId(
  manager: EntityManager,
  orderId: string,
  paymentId: string,
): Promise<void> {
  await manager.query(`UPDATE orders SET payment_id = $2 WHERE id = $1 AND payment_id IS NULL`, [
    orderId,
    paymentId,
  ]);
}

/** `recordPaymentId` for a payment still processing: only a reserved order waits for it. */
export async function recordProcessingPaymentId(
  manager: EntityManager,
  orderId: string,
  paymentId: string,
): Promise<void> {
  await manager.query(
    `UPDATE orders SET payment_id = $2 WHERE id = $1 AND status = 'reserved' AND payment_id IS NULL`,
    [orderId, paymentId],
  );
}
