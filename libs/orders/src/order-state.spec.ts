import { describe, expect, it } from 'vitest';
import {
  assertOrderMove,
  canMoveOrder,
  IllegalOrderMoveError,
  ORDER_TRANSITIONS,
  type OrderStatus,
} from './order-state.js';

const STATUSES = Object.keys(ORDER_TRANSITIONS) as OrderStatus[];
const listed = STATUSES.flatMap((from) => ORDER_TRANSITIONS[from].map((to) => [from, to] as const));
const unlisted = STATUSES.flatMap((from) =>
  STATUSES.filter((to) => !ORDER_TRANSITIONS[from].includes(to)).map((to) => [from, to] as const),
);

describe('order state machine', () => {
  it.each(listed)('allows every listed move: %s → %s', (from, to) => {
    expect(canMoveOrder(from, to)).toBe(true);
    expect(() => assertOrderMove([from], to)).not.toThrow();
  });

  it.each(unlisted)('refuses every unlisted move: %s → %s', (from, to) => {
    expect(canMoveOrder(from, to)).toBe(false);
    expect(() => assertOrderMove([from], to)).toThrow(IllegalOrderMoveError);
  });

  it('refuses a move if any of its from-statuses may not make it, and one from nowhere', () => {
    expect(() => assertOrderMove(['reserved', 'failed'], 'paid')).not.toThrow();
    expect(() => assertOrderMove(['reserved', 'paid'], 'failed')).toThrow(/reserved\|paid → failed/);
    expect(() => assertOrderMove([], 'paid')).toThrow(IllegalOrderMoveError);
    expect(canMoveOrder('paid', 'no-such-status' as OrderStatus)).toBe(false);
  });

  it('keeps the table closed: refunded is final, nothing moves back to reserved', () => {
    expect(ORDER_TRANSITIONS.refunded).toEqual([]);
    expect(STATUSES.filter((from) => canMoveOrder(from, 'reserved'))).toEqual([]);
    expect(unlisted.length + listed.length).toBe(STATUSES.length ** 2);
  });
});
