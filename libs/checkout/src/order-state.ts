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
  return ORDER_TRANSITIONS[from].includes(to);
}
