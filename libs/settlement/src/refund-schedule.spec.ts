import { describe, expect, it } from 'vitest';
import {
  escalates,
  REFUND_MAX_BACKOFF_MS,
  REFUND_STUCK_ATTEMPTS,
  refundBackoffMs,
} from './refund-schedule.js';
import { linesSince, saleReversal } from './journal.js';

describe('refund retry schedule', () => {
  it('doubles from 1–2 s, jittered over the upper half, capped at 10 minutes', () => {
    expect([1, 2, 3, 4].map((n) => refundBackoffMs(n, 1))).toEqual([2000, 4000, 8000, 16000]);
    expect([1, 2, 3, 4].map((n) => refundBackoffMs(n, 0))).toEqual([1000, 2000, 4000, 8000]);
    expect(refundBackoffMs(10, 1)).toBe(REFUND_MAX_BACKOFF_MS);
    expect(refundBackoffMs(1000, 1)).toBe(REFUND_MAX_BACKOFF_MS);
    expect(refundBackoffMs(1000, 0)).toBe(REFUND_MAX_BACKOFF_MS / 2);
  });

  it('escalates once at the threshold and again at each doubling, not at every failure', () => {
    const escalations = Array.from({ length: 100 }, (_, i) => i + 1).filter(escalates);
    expect(REFUND_STUCK_ATTEMPTS).toBe(8);
    expect(escalations).toEqual([8, 16, 32, 64]);
  });
});

describe('saleReversal', () => {
  const sale = [
    { account: 'asset:processor-clearing', amount: 1001 },
    { account: 'liability:processor-fees', amount: -59 },
    { account: 'revenue:platform-fees', amount: -50 },
    { account: 'liability:payable:creator', amount: -100 },
    { account: 'liability:payable:seller', amount: -792 },
  ];
  const sum = (lines: { amount: number }[]) => lines.reduce((total, line) => total + line.amount, 0);

  it('reverses the whole sale exactly, the processor fee moved to the platform’s expense', () => {
    expect(saleReversal(sale, 1001)).toEqual([
      { account: 'asset:processor-clearing', amount: -1001 },
      { account: 'expense:processor-fees-absorbed', amount: 59 },
      { account: 'revenue:platform-fees', amount: 50 },
      { account: 'liability:payable:creator', amount: 100 },
      { account: 'liability:payable:seller', amount: 792 },
    ]);
  });

  it('balances at every partial amount, and partial steps add up to the whole', () => {
    let previous = saleReversal(sale, 0);
    const total = new Map<string, number>();
    for (const refunded of [1, 333, 500, 999, 1001]) {
      const current = saleReversal(sale, refunded);
      expect(sum(current)).toBe(0);
      const step = linesSince(current, previous);
      expect(sum(step)).toBe(0);
      for (const line of step) total.set(line.account, (total.get(line.account) ?? 0) + line.amount);
      previous = current;
    }
    expect(Object.fromEntries(total)).toEqual(
      Object.fromEntries(saleReversal(sale, 1001).map((line) => [line.account, line.amount])),
    );
  });
});
