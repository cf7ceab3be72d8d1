import { Injectable } from '@nestjs/common';

/** A payout handed to a rail: the rail must treat `id` as its idempotency key (a resend pays once). */
export interface PayoutOrder {
  id: string;
  accountId: string;
  amountMinor: number;
  currency: string;
  /** The account's connected account on a rail that needs onboarding (Stripe Connect). */
  destination?: string;
  /** Sent before, with no answer heard (a retry): the rail may first look for what it did then. */
  resend: boolean;
}

/** An account's connected account on the rail and whether the rail pays out to it yet. */
export interface ConnectedAccountState {
  connectedAccountId: string;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
}

/** Onboarding with a rail that pays only accounts it knows (Stripe Connect's connected accounts). */
export interface RailOnboarding {
  /** Creates the account's connected account; the same `accountId` answers the same one (idempotent). */
  createAccount(accountId: string): Promise<ConnectedAccountState>;
  /** A single-use link to the rail's hosted onboarding, and until when it works. */
  onboardingLink(
    connectedAccountId: string,
    urls: { refreshUrl: string; returnUrl: string },
  ): Promise<{ url: string; expiresAt: Date }>;
  /** The connected account's state as the rail holds it now. */
  retrieveAccount(connectedAccountId: string): Promise<ConnectedAccountState>;
}

/** What a rail answers for a payout: paid (with its reference there) or failed (money returns to the balance). */
export type PayoutOutcome = { status: 'paid'; railRef: string } | { status: 'failed'; failureCode: string };

/**
 * The port payouts go out through: the sandbox rail, or Stripe Connect transfers when Stripe is
 * configured. Answers an outcome; throws only when the outcome is unknown (the payout then stays
 * pending and is sent again with the same id).
 */
export abstract class PayoutRail {
  abstract readonly name: string;
  /** Present where an account must onboard (have an enabled connected account) before it is paid. */
  readonly onboarding?: RailOnboarding;
  abstract send(payout: PayoutOrder): Promise<PayoutOutcome>;
}

/** Amounts ending in these minor units fail in the sandbox, so a failed payout can be shown on purpose. */
export const SANDBOX_FAILING_MINOR_SUFFIX = 13;

/**
 * The sandbox rail: pays at once, deterministically, with no outside system. A payout whose amount
 * ends in 13 minor units (…13, e.g. 10.13) fails with `account-closed`, like a bank refusing it.
 */
@Injectable()
export class SandboxPayoutRail extends PayoutRail {
  readonly name = 'sandbox';

  send(payout: PayoutOrder): Promise<PayoutOutcome> {
    if (payout.amountMinor % 100 === SANDBOX_FAILING_MINOR_SUFFIX) {
      return Promise.resolve({ status: 'failed', failureCode: 'account-closed' });
    }
    return Promise.resolve({ status: 'paid', railRef: `sbx_po_${payout.id.replaceAll('-', '')}` });
  }
}
