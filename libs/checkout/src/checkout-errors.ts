import type { EntityManager } from 'typeorm';
import { DomainError, problems } from '#http';

/** Longest piece of a provider's message (which may quote client input) that reaches a response. */
const MAX_ECHOED_CHARS = 120;

export function soldOut(): DomainError {
  return problems.conflict('sold-out', 'No edition of this drop is available right now');
}

/** The account holds as many unpaid reservations as it may: it must pay for one or let one lapse. */
export function unpaidHoldLimit(maxUnpaidHolds: number): DomainError {
  const holds = maxUnpaidHolds === 1 ? 'an unpaid reservation' : `${maxUnpaidHolds} unpaid reservations`;
  return problems.conflict(
    'unpaid-hold-limit',
    `You already hold ${holds}, the most one account may hold at once: pay for one ` +
      '(POST /orders/{orderId}/pay) or wait until one expires, then check out again',
    { maxUnpaidHolds },
  );
}

/** The payment provider refused the payment details; the order failed and its edition was released. */
export function paymentDetailsRefused(providerMessage: string): DomainError {
  return new DomainError(
    'payment-request-invalid',
    400,
    'Bad request',
    `The payment details were refused (${bounded(providerMessage)}); the reservation was released, ` +
      'check out again with other payment details',
  );
}

/**
 * The processor could not be reached while paying for a held order: the order stays held, and the
 * buyer pays it (the same payment details replay the same payment) before the hold lapses.
 */
export function paymentProviderUnavailable(order: { id: string; reserved_until: Date }): DomainError {
  const payUrl = `/orders/${order.id}/pay`;
  const reservedUntil = new Date(order.reserved_until).toISOString();
  return new DomainError(
    'payment-provider-unavailable',
    503,
    'Service unavailable',
    `The card processor could not be reached. Order ${order.id} is held for you until ${reservedUntil}: ` +
      `pay it with POST ${payUrl} and the same payment details (or retry this checkout with the same ` +
      'idempotency key and payment details) before then',
    { orderId: order.id, reservedUntil, payUrl },
  );
}

/** Cuts text that may quote client input to a short bound. */
export function bounded(text: string, max = MAX_ECHOED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Why a listing could not be reserved: it does not exist (404; saying so when the id is a drop's),
 * it is an edition of a drop (400: buy it through the drop), or it is sold or held (409).
 */
export async function listingUnavailable(manager: EntityManager, listingId: string): Promise<DomainError> {
  const [found]: { drop_id: string | null; is_drop: boolean; is_listing: boolean }[] = await manager.query(
    `SELECT l.drop_id, l.id IS NOT NULL AS is_listing, EXISTS (SELECT 1 FROM drops WHERE id = $1) AS is_drop
     FROM (SELECT 1) AS one LEFT JOIN listings l ON l.id = $1`,
    [listingId],
  );
  if (!found.is_listing) {
    if (found.is_drop) return wrongKind('listing', 'a drop', 'dropId');
    return problems.notFound('Listing');
  }
  if (found.drop_id) {
    return problems.badRequest(
      'listing-in-drop',
      'This edition is sold through a drop: check out with the drop’s id as dropId',
      { dropId: found.drop_id },
    );
  }
  return problems.conflict('not-available', 'This edition is sold or reserved by another buyer');
}

/** No drop has this id (404), saying so when the id is a listing's. */
export async function dropNotFound(manager: EntityManager, dropId: string): Promise<DomainError> {
  const [listing] = await manager.query(`SELECT 1 FROM listings WHERE id = $1`, [dropId]);
  return listing ? wrongKind('drop', 'a listing', 'listingId') : problems.notFound('Drop');
}

function wrongKind(wanted: string, actual: string, field: string): DomainError {
  return new DomainError(
    'not-found',
    404,
    'Not found',
    `No ${wanted} has this id; it is ${actual}'s id: send it as ${field}`,
  );
}
