import { Module, OnModuleInit } from '@nestjs/common';
import { HeirloomConfig } from '#config';
import { PeriodicJobs } from '#database';
import { LedgerModule } from '#ledger';
import { ConnectedAccountEvents, SettlementModule } from '#settlement';
import { ConnectedAccountsService } from './connected-accounts.js';
import { EarningsService } from './earnings.js';
import { PayoutRail, SandboxPayoutRail } from './payout-rail.js';
import { PayoutOnboardingPagesController, PayoutsController } from './payouts.controller.js';
import { PAYOUT_RETRY_INTERVAL_MS, PayoutsService } from './payouts.service.js';
import { StripeConnectRail } from './stripe-connect-rail.js';

/** Stripe Connect transfers when STRIPE_SECRET_KEY is set (as for cards), else the sandbox rail. */
function payoutRailFactory(config: HeirloomConfig): PayoutRail {
  if (!config.stripeSecretKey) return new SandboxPayoutRail();
  return new StripeConnectRail({
    secretKey: config.stripeSecretKey,
    apiUrl: config.stripeApiHost,
    timeoutMs: config.stripeTimeoutMs,
    maxNetworkRetries: config.stripeMaxNetworkRetries,
  });
}

/**
 * Earnings from the money journal and payouts through a rail (sandbox, or Stripe Connect with its
 * connected accounts); pending payouts are retried by a background job.
 */
@Module({
  imports: [LedgerModule, SettlementModule],
  controllers: [PayoutsController, PayoutOnboardingPagesController],
  providers: [
    EarningsService,
    PayoutsService,
    ConnectedAccountsService,
    { provide: PayoutRail, useFactory: payoutRailFactory, inject: [HeirloomConfig] },
  ],
  exports: [EarningsService],
})
export class PayoutsModule implements OnModuleInit {
  constructor(
    private readonly jobs: PeriodicJobs,
    private readonly payouts: PayoutsService,
    private readonly connected: ConnectedAccountsService,
    private readonly accountEvents: ConnectedAccountEvents,
  ) {}

  onModuleInit(): void {
    this.accountEvents.subscribe((event) => this.connected.applyEvent(event));
    this.jobs.register('payout-retry', PAYOUT_RETRY_INTERVAL_MS, async () => {
      await this.payouts.retryDue();
    });
  }
}
