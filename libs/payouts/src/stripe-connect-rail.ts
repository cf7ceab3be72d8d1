// Payouts over Stripe Connect: each account is paid through its own Express connected account, by
// a transfer from the platform's balance. Built on the same SDK client as the card rail.
import Stripe from 'stripe';
import { createStripeClient, type StripeClientOptions } from '#payments';
import {
  PayoutRail,
  type ConnectedAccountState,
  type PayoutOrder,
  type PayoutOutcome,
  type RailOnboarding,
} from './payout-rail.js';

/** Stripe's idempotency key of a payout's transfer: every resend of the payout replays it. */
export const transferIdempotencyKey = (payoutId: string) => `payout:${payoutId}`;
/** Groups a payout's transfer under its id, so a resend finds a transfer made beyond the key's 24 h. */
export const transferGroupOf = (payoutId: string) => `payout_${payoutId}`;

export class StripeConnectRail extends PayoutRail implements RailOnboarding {
  readonly name = 'stripe';
  override readonly onboarding: RailOnboarding = this;
  private readonly stripe: Stripe;

  constructor(options: StripeClientOptions) {
    super();
    this.stripe = createStripeClient(options);
  }

  async createAccount(accountId: string): Promise<ConnectedAccountState> {
    const account = await this.stripe.accounts.create(
      {
        type: 'express',
        capabilities: { transfers: { requested: true } },
        metadata: { heirloom_account_id: accountId },
      },
      // A repeat within Stripe's key lifetime (24 h) answers the account made first.
      { idempotencyKey: `connected-account:${accountId}` },
    );
    return stateOf(account);
  }

  async onboardingLink(
    connectedAccountId: string,
    urls: { refreshUrl: string; returnUrl: string },
  ): Promise<{ url: string; expiresAt: Date }> {
    const link = await this.stripe.accountLinks.create({
      account: connectedAccountId,
      type: 'account_onboarding',
      refresh_url: urls.refreshUrl,
      return_url: urls.returnUrl,
    });
    return { url: link.url, expiresAt: new Date(link.expires_at * 1000) };
  }

  async retrieveAccount(connectedAccountId: string): Promise<ConnectedAccountState> {
    return stateOf(await this.stripe.accounts.retrieve(connectedAccountId));
  }

  /**
   * Transfers the payout to the connected account, keyed by the payout id: a resend replays the same
   * request, and after Stripe's 24 h key lifetime the transfer group still finds the first transfer.
   * Stripe refusing it (4xx) fails the payout; no answer, 5xx, 429 or a key clash throw (unknown).
   */
  async send(payout: PayoutOrder): Promise<PayoutOutcome> {
    if (!payout.destination) return { status: 'failed', failureCode: 'no-connected-account' };
    const transferGroup = transferGroupOf(payout.id);
    try {
      if (payout.resend) {
        const earlier = await this.stripe.transfers.list({ transfer_group: transferGroup, limit: 1 });
        if (earlier.data[0]) return { status: 'paid', railRef: earlier.data[0].id };
      }
      const transfer = await this.stripe.transfers.create(
        {
          amount: payout.amountMinor,
          currency: payout.currency.toLowerCase(),
          destination: payout.destination,
          transfer_group: transferGroup,
          metadata: { payout_id: payout.id, account_id: payout.accountId },
        },
        { idempotencyKey: transferIdempotencyKey(payout.id) },
      );
      return { status: 'paid', railRef: transfer.id };
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) return { status: 'failed', failureCode: refusal };
      throw error;
    }
  }
}

function stateOf(account: Stripe.Account): ConnectedAccountState {
  return {
    connectedAccountId: account.id,
    payoutsEnabled: account.payouts_enabled === true,
    detailsSubmitted: account.details_submitted === true,
  };
}

/**
 * Stripe's code for a transfer it refused for good (400, 402, 403, 404: the request was understood
 * and will not succeed by resending), in our kebab case; undefined when the outcome is unknown.
 */
function refusalOf(error: unknown): string | undefined {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined;
  if (error instanceof Stripe.errors.StripeIdempotencyError) return undefined;
  const status = error.statusCode ?? 0;
  if (![400, 402, 403, 404].includes(status)) return undefined;
  return (error.code ?? `transfer-refused-${status}`).replaceAll('_', '-');
}
