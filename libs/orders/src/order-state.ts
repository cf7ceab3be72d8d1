/** Lifecycle of an order; every allowed move is listed here and nowhere else. */
export type OrderStatus =
  'reserved' | 'requires_action' | 'paid' | 'failed' | 'expired' | 'refund_pending' | 'refunded' | 'disputed';

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  reserved: ['requires_action', 'paid', 'failed', 'expired', 'refund_pending'],
  requires_action: ['paid', 'failed', 'expired', 'refund_pending'],
  // A payment that succeeds after expiry still completes the sale if the edition is free, else is refunded.
  expired: ['paid', 'refund_pending'],
  failed: ['paid', 'refund_pending'],
  paid: ['refunded', 'disputed'],
  disputed: ['paid', 'refunded'],
  refund_pending: ['refunded'],
  refunded: [],
};

/** Statuses whose reservation still holds the listing. */
export const HOLDING_STATUSES: readonly OrderStatus[] = ['reserved', 'requires_action'];

/** Whether an order may move from one status to another. */
export function canMoveOrder(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from]?.includes(to) ?? false;
}

/** A move the code asks for that `ORDER_TRANSITIONS` does not list: a bug, never the client's fault. */
export class IllegalOrderMoveError extends Error {
  constructor(from: readonly OrderStatus[], to: OrderStatus) {
    super(`illegal order move: ${from.join('|') || '(no status)'} → ${to}`);
    this.name = 'IllegalOrderMoveError';
  }
}

/** Throws `IllegalOrderMoveError` unless every status in `from` may move to `to`. */
export function assertOrderMove(from: readonly OrderStatus[], to: OrderStatus): void {
  if (from.length === 0 || !from.every((status) => canMoveOrder(status, to)))
    throw new IllegalOrderMoveError(from, to);
}

/**
 * What the buyer must do next: `pay` (POST /orders/{id}/pay before the hold lapses), `authenticate`
 * (finish 3-D Secure or the Payment Element with the order's `nextAction`), `wait` (a payment is
 * settling: read the order again) or `none` (paid, failed, lapsed or refunded: nothing to do).
 */
export type NextStep = 'pay' | 'authenticate' | 'wait' | 'none';

export function nextStepOf(
  order: { status: OrderStatus; payment_id: string | null; reserved_until: Date },
  now = new Date(),
): NextStep {
  const holding = new Date(order.reserved_until) > now;
  if (order.status === 'reserved') {
    // A payment id on a reserved order: the processor has it and its webhook will settle it.
    if (order.payment_id !== null) return 'wait';
    return holding ? 'pay' : 'none';
  }
  if (order.status === 'requires_action') return holding ? 'authenticate' : 'none';
  return 'none';
}
