import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
import { LISTINGS_SOLD_PARAMS, listingsSoldCtes, listingsSoldValues, type ListingRow } from '#market';
import type { LockedTokenState } from '#minting';
import {
  ORDER_COLUMN_NAMES,
  ORDER_MOVE_PARAMS,
  orderMovesCte,
  orderMovesValues,
  validOrderId,
  type OrderRow,
  type OrderStatus,
} from '#orders';
import type { PaymentProviderEvent } from '#payments';
import { journalEntryCtes, journalEntryValues, type JournalPosting } from './journal.js';

// Settlement's statements over orders: which order a payment event applies to (read and locked
// here), and the sale's one statement, which embeds market's and libs/orders' CTEs so that each
// table's SQL stays with its one writer while a batch of sales still costs one round trip.

/** What settling a sale reads, under lock, about the order's listing and token. */
export interface SaleLock {
  listing_kind: ListingRow['kind'];
  listing_status: ListingRow['status'];
  listing_reserved_order: string | null;
  listing_reserved_until: Date | null;
  token_owner: string | null;
  token_status: LockedTokenState['status'];
  token_ledger_seq: number;
  token_last_event_at: Date;
  /** The token's creator and the collection's royalty, for the sale's journal lines. */
  creator_id: string;
  royalty_bps: number;
}

/** What a payment event says about its payment: enough to find the one order it may apply to. */
export type EventKey = Pick<PaymentProviderEvent, 'type' | 'paymentId' | 'orderId' | 'amount' | 'currency'>;

/**
 * Orders an event's metadata may bind to when they have no payment id yet (a checkout whose call to
 * the processor timed out): those still waiting for their payment to succeed.
 */
const BINDABLE_STATUSES: readonly OrderStatus[] = ['reserved', 'requires_action', 'expired', 'failed'];

/**
 * Which order an event applies to, as SQL over `k(payment_id, order_id, amount, currency, binds)`
 * and orders `o`. The event's signature proves only who sent it, and order ids are public: so an
 * event applies to the order whose payment it names. Only a payment's success or failure may bind
 * an order that has no payment id yet, by `metadata.order_id`, and only for exactly that order's
 * amount and currency. Refunds and disputes need the order's own payment, in its currency, for no
 * more than was paid (or is owed back, for a payment captured for the wrong amount).
 * (`num_nulls`, not `IS NULL`: that would be an index condition, scanning every unpaid order.)
 */
const EVENT_MATCH = `(
  (o.payment_id = k.payment_id
    AND (k.binds OR (o.currency = upper(k.currency) AND k.amount <= GREATEST(o.amount_minor,
      COALESCE((SELECT max(r.amount_minor) FROM refund_requests r WHERE r.order_id = o.id), 0)))))
  OR (k.binds AND num_nulls(o.payment_id) = 1 AND o.id = k.order_id
    AND o.status = ANY('{${BINDABLE_STATUSES.join(',')}}'::text[])
    AND o.amount_minor = k.amount AND o.currency = upper(k.currency)))`;

/** Whether an event of this type may bind an order that has no payment id yet. */
function bindsByOrderId(type: EventKey['type']): boolean {
  return type.startsWith('payment_intent.');
}

/** Locks the order an event applies to (see `EVENT_MATCH`); `undefined` if there is none. */
export async function lockOrderForEvent(
  manager: EntityManager,
  event: EventKey,
): Promise<OrderRow | undefined> {
  const [row] = await preparedQuery<OrderRow>(
    manager,
    'checkout:lock-order-for-event',
    `SELECT ${ORDER_COLUMN_NAMES.map((column) => `o.${column}`).join(', ')}
     FROM (SELECT $1::text AS payment_id, $2::uuid AS order_id, $3::bigint AS amount, $4::text AS currency,
             $5::boolean AS binds) AS k
       JOIN orders o ON ${EVENT_MATCH}
     ORDER BY o.payment_id IS NOT DISTINCT FROM k.payment_id DESC LIMIT 1 FOR UPDATE OF o`,
    [event.paymentId, validOrderId(event.orderId), event.amount, event.currency, bindsByOrderId(event.type)],
  );
  return row;
}

/**
 * `lockOrderForEvent` for payments' success, several in one query: locks each order, then its
 * listing and then its token (the order in which settlement always took them), and reads what the
 * sale needs. Answers in the order of `events`; `undefined` where no order matches.
 */
export async function lockOrdersForSale(
  manager: EntityManager,
  events: readonly EventKey[],
): Promise<((OrderRow & SaleLock) | undefined)[]> {
  const rows = await preparedQuery<OrderRow & SaleLock & { key: number }>(
    manager,
    'checkout:lock-orders-for-sale',
    `SELECT k.key::int AS key, s.*
     FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::text[], $5::boolean[])
       WITH ORDINALITY AS k(payment_id, order_id, amount, currency, binds, key)
     CROSS JOIN LATERAL (
       SELECT ${ORDER_COLUMN_NAMES.map((column) => `o.${column}`).join(', ')},
              l.kind AS listing_kind, l.status AS listing_status, l.reserved_order AS listing_reserved_order,
              l.reserved_until AS listing_reserved_until, t.owner_id AS token_owner, t.status AS token_status,
              t.ledger_seq AS token_ledger_seq, t.last_event_at AS token_last_event_at, t.creator_id,
              c.royalty_bps
       FROM orders o JOIN listings l ON l.id = o.listing_id JOIN tokens t ON t.id = l.token_id
         JOIN collections c ON c.id = t.collection_id
       WHERE ${EVENT_MATCH}
       ORDER BY o.payment_id IS NOT DISTINCT FROM k.payment_id DESC LIMIT 1 FOR UPDATE OF o, l, t) AS s
     ORDER BY k.key`,
    [
      events.map((event) => event.paymentId),
      events.map((event) => validOrderId(event.orderId)),
      events.map((event) => event.amount),
      events.map((event) => event.currency),
      events.map((event) => bindsByOrderId(event.type)),
    ],
  );
  const byKey = new Map(rows.map(({ key, ...row }) => [key, row]));
  return events.map((_event, index) => byKey.get(index + 1));
}

/**
 * Why no order matched an event (see `EVENT_MATCH`), for the stored event and the log. Read only
 * for events that matched nothing, so it may take its own round trip.
 */
export async function whyNoOrderMatched(manager: EntityManager, event: EventKey): Promise<string> {
  const [row] = await manager.query(
    `SELECT (SELECT row_to_json(p) FROM (SELECT id, currency FROM orders WHERE payment_id = $1) p) AS paid,
            (SELECT row_to_json(n) FROM (SELECT payment_id, status, amount_minor::text AS amount_minor, currency
               FROM orders WHERE id = $2::uuid) n) AS named`,
    [event.paymentId, validOrderId(event.orderId)],
  );
  const paid = row.paid as { currency: string } | null;
  const named = row.named as Pick<OrderRow, 'payment_id' | 'status' | 'amount_minor' | 'currency'> | null;
  if (paid)
    return paid.currency === event.currency.toUpperCase() ? 'amount-exceeds-payment' : 'currency-mismatch';
  if (!bindsByOrderId(event.type)) return 'unknown-payment';
  if (!named) return 'unknown-payment-and-order';
  if (named.payment_id !== null) return 'order-has-another-payment';
  if (!BINDABLE_STATUSES.includes(named.status)) return 'order-not-awaiting-payment';
  if (named.amount_minor !== String(event.amount) || named.currency !== event.currency.toUpperCase())
    return 'amount-or-currency-mismatch';
  return 'no-matching-order';
}

/** A sale to complete: its listing, its order, the card that paid and the sale's journal lines. */
export interface CompletedSale {
  listingId: string;
  orderId: string;
  card: Record<'payment_id' | 'card_brand' | 'card_last4', string | null>;
  journal: JournalPosting;
}

/**
 * Completes sales' rows in the caller's transaction, in one statement: each listing is sold, each
 * order paid (from the status it was locked and read in: see `orderMovesCte`), and each sale's journal
 * entry posted (at most once per order, as `postJournal`). Throws if an order had changed under its lock.
 */
export async function markSold(
  manager: EntityManager,
  sales: readonly (CompletedSale & { from: OrderStatus })[],
): Promise<void> {
  const moves = sales.map((sale) => ({
    orderId: sale.orderId,
    from: [sale.from],
    to: 'paid' as const,
    set: { ...sale.card, paid: true },
  }));
  const [{ paid }] = await preparedQuery<{ paid: number }>(
    manager,
    'checkout:mark-sold',
    `WITH ${listingsSoldCtes(1)},
     ${orderMovesCte('paid', 1 + LISTINGS_SOLD_PARAMS)},
     ${journalEntryCtes(1 + LISTINGS_SOLD_PARAMS + ORDER_MOVE_PARAMS)}
     SELECT (SELECT count(*) FROM paid)::int AS paid`,
    [
      ...listingsSoldValues(sales),
      ...orderMovesValues(moves),
      ...journalEntryValues(
        'sale',
        sales.map((sale) => sale.journal),
      ),
    ],
  );
  // The orders were locked with their listings: one that did not move is a bug; roll the batch back.
  if (paid !== sales.length)
    throw new Error(`${sales.length - paid} of ${sales.length} sold orders changed under their locks`);
}
