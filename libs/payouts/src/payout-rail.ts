import { Injectable } from '@nestjs/common';

/** A payout handed to a rail: the rail must treat `id` as its idempotency key (a resend pays once). */
export interface PayoutOrder {
  id: string;
  accountId: string;
  amountMinor: number;
  currency: string;
}

/** What a rail answers for a payout: paid (with its reference there) or failed (money returns to the balance). */
export type PayoutOutcome = { status: 'paid'; railRef: string } | { status: 'failed'; failureCode: string };

/**
 * The port payouts go out through: the sandbox rail now, Stripe Connect transfers later (an adapter
 * beside it, chosen by configuration). Answers an outcome; throws only when the outcome is unknown
 * (the payout then stays pending and is sent again with the same id).
 */
export abstract class PayoutRail {
  abstract readonly name: string;
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
