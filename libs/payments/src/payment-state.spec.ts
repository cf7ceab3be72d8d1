import { describe, expect, it } from 'vitest';
import type { PaymentProviderEvent } from './payment-provider.js';
import {
  assertTransition,
  canTransition,
  InvalidPaymentTransitionError,
  isTerminalPaymentState,
  PAYMENT_TRANSITIONS,
  stateForEvent,
  type PaymentState,
} from './payment-state.js';

const event = (overrides: Partial<PaymentProviderEvent>): PaymentProviderEvent => ({
  id: 'evt_1',
  type: 'payment_intent.succeeded',
  created: 1,
  livemode: false,
  paymentId: 'pi_1',
  amount: 1_000,
  currency: 'eur',
  ...overrides,
});

describe('payment state machine', () => {
  it('allows the checkout path and forbids going back', () => {
    expect(canTransition('created', 'requires_action')).toBe(true);
    expect(canTransition('requires_action', 'succeeded')).toBe(true);
    expect(canTransition('succeeded', 'disputed')).toBe(true);
    expect(canTransition('disputed', 'dispute_lost')).toBe(true);
    expect(canTransition('succeeded', 'declined')).toBe(false);
    expect(canTransition('succeeded', 'canceled')).toBe(false);
    expect(canTransition('refunded', 'succeeded')).toBe(false);
  });

  it('lets a late success follow a decline (the buyer retried on the same intent)', () => {
    expect(canTransition('declined', 'succeeded')).toBe(true);
  });

  it('treats a repeated state as no move, so duplicates are detected by the caller', () => {
    expect(canTransition('succeeded', 'succeeded')).toBe(false);
    expect(canTransition('partially_refunded', 'partially_refunded')).toBe(true);
  });

  it('names the final states and only targets known states', () => {
    const states = Object.keys(PAYMENT_TRANSITIONS) as PaymentState[];
    expect(states.filter(isTerminalPaymentState).sort()).toEqual(['canceled', 'dispute_lost']);
    for (const targets of Object.values(PAYMENT_TRANSITIONS)) {
      for (const target of targets) expect(states).toContain(target);
    }
  });

  it('throws a typed error for a forbidden move', () => {
    expect(assertTransition('created', 'succeeded')).toBe('succeeded');
    expect(() => assertTransition('canceled', 'succeeded')).toThrow(InvalidPaymentTransitionError);
  });

  it('maps events to target states', () => {
    expect(stateForEvent(event({ type: 'payment_intent.payment_failed' }))).toBe('declined');
    expect(stateForEvent(event({ type: 'payment_intent.canceled' }))).toBe('canceled');
    expect(stateForEvent(event({ type: 'charge.refunded', amountRefunded: 400 }))).toBe('partially_refunded');
    expect(stateForEvent(event({ type: 'charge.refunded', amountRefunded: 1_000 }))).toBe('refunded');
    expect(stateForEvent(event({ type: 'charge.dispute.created', disputeStatus: 'needs_response' }))).toBe(
      'disputed',
    );
    expect(stateForEvent(event({ type: 'charge.dispute.closed', disputeStatus: 'warning_closed' }))).toBe(
      'dispute_won',
    );
    expect(stateForEvent(event({ type: 'charge.dispute.closed', disputeStatus: 'lost' }))).toBe(
      'dispute_lost',
    );
    expect(stateForEvent(event({ type: 'charge.dispute.closed', disputeStatus: 'other' }))).toBeNull();
    expect(
      stateForEvent({ id: 'evt', type: 'ignored', providerType: 'x', created: 1, livemode: false }),
    ).toBeNull();
  });
});
