import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
import { assertOrderMove, type OrderStatus } from './order-state.js';

/** Columns set with a status change; absent or null keeps the column's value. */
export interface OrderMoveFields {
  payment_id?: string | null;
  decline_code?: string | null;
  card_brand?: string | null;
  card_last4?: string | null;
  /** Stamps `paid_at` with the transaction's time. */
  paid?: boolean;
}

/** One order's status change: it happens only if the order is in one of `from` when the row is updated. */
export interface OrderMove {
  orderId: string;
  from: readonly OrderStatus[];
  to: OrderStatus;
  set?: OrderMoveFields;
}

/** How many parameters `orderMovesCte` takes. */
export const ORDER_MOVE_PARAMS = 8;

/**
 * The one statement that changes orders' status, as a CTE `name` over parameters `$first…$first+7`
 * (see `orderMovesValues`) returning the ids of the orders that moved. Set-based, so that a batch of
 * settlements moves all its orders in one statement; statements that also write other tables (see
 * `markSold`) embed it. An order not in its move's `from` statuses (changed underneath) is left as is.
 */
export function orderMovesCte(name: string, first: number): string {
  const p = (index: number) => `$${first + index}`;
  return `${name} AS (
    UPDATE orders o SET status = m.to_status,
      payment_id = COALESCE(m.payment_id, o.payment_id), decline_code = COALESCE(m.decline_code, o.decline_code),
      card_brand = COALESCE(m.card_brand, o.card_brand), card_last4 = COALESCE(m.card_last4, o.card_last4),
      paid_at = CASE WHEN m.paid THEN now() ELSE o.paid_at END
    FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[],
                ${p(5)}::text[], ${p(6)}::text[], ${p(7)}::boolean[])
      AS m(order_id, from_statuses, to_status, payment_id, decline_code, card_brand, card_last4, paid)
    WHERE o.id = m.order_id AND o.status = ANY(string_to_array(m.from_statuses, ','))
    RETURNING o.id::text AS id)`;
}

/**
 * The parameters of `orderMovesCte` for `moves`, after checking each against `ORDER_TRANSITIONS`
 * (an illegal move throws `IllegalOrderMoveError`: a programming error, so nothing is written).
 */
export function orderMovesValues(moves: readonly OrderMove[]): unknown[] {
  const ids = new Set<string>();
  for (const move of moves) {
    assertOrderMove(move.from, move.to);
    // One statement updates a row once: a second move of an order would be silently dropped.
    if (ids.has(move.orderId.toLowerCase()))
      throw new Error(`order ${move.orderId} moved twice in one statement`);
    ids.add(move.orderId.toLowerCase());
  }
  const column = (pick: (move: OrderMove) => unknown) => moves.map(pick);
  return [
    column((move) => move.orderId),
    column((move) => move.from.join(',')),
    column((move) => move.to),
    column((move) => move.set?.payment_id ?? null),
    column((move) => move.set?.decline_code ?? null),
    column((move) => move.set?.card_brand ?? null),
    column((move) => move.set?.card_last4 ?? null),
    column((move) => move.set?.paid ?? false),
  ];
}

/**
 * Moves orders (see `OrderMove`) in the caller's transaction, in one conditional statement; answers,
 * in the order of `moves`, whether each moved. A move that did not happen means the order changed
 * underneath (another request or event got there first): the caller decides what that means.
 */
export async function moveOrders(manager: EntityManager, moves: readonly OrderMove[]): Promise<boolean[]> {
  if (moves.length === 0) return [];
  const values = orderMovesValues(moves);
  const rows = await preparedQuery<{ id: string }>(
    manager,
    'checkout:move-orders',
    `WITH ${orderMovesCte('moved', 1)} SELECT id FROM moved`,
    values,
  );
  const moved = new Set(rows.map((row) => row.id));
  return moves.map((move) => moved.has(move.orderId.toLowerCase()));
}

/** `moveOrders` for one order: whether it moved. */
export async function moveOrder(manager: EntityManager, move: OrderMove): Promise<boolean> {
  return (await moveOrders(manager, [move]))[0];
}

/** `moveOrder` for an order the caller has locked and read: not moving is a bug, so it throws. */
export async function moveLockedOrder(
  manager: EntityManager,
  order: { id: string; status: OrderStatus },
  to: OrderStatus,
  set?: OrderMoveFields,
): Promise<void> {
  if (!(await moveOrder(manager, { orderId: order.id, from: [order.status], to, set })))
    throw new Error(`order ${order.id} changed under its lock (expected ${order.status})`);
}
