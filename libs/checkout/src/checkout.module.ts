import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { HeirloomConfig } from '#config';
import { PeriodicJobs } from '#database';
import { IdentityModule } from '#identity';
import { LedgerModule } from '#ledger';
import { MarketModule } from '#market';
import { paymentRailOf } from '#payments';
import { RefundService, SettlementModule } from '#settlement';
import { CheckoutController, SandboxChallengeController, WebhookController } from './checkout.controller.js';
import { CheckoutService } from './checkout.service.js';
import { OrderHistoryService } from './order-history.service.js';
import { ReservationService } from './reservation.service.js';

@Module({
  imports: [IdentityModule, LedgerModule, MarketModule, SettlementModule],
  controllers: [CheckoutController, WebhookController],
  providers: [CheckoutService, OrderHistoryService, ReservationService],
  exports: [CheckoutService],
})
export class CheckoutModule implements OnModuleInit {
  /** The module for `config`'s rail: the sandbox's 3-D Secure routes exist only on the sandbox rail. */
  static forRoot(config: HeirloomConfig): DynamicModule {
    const sandbox = paymentRailOf(config) === 'sandbox';
    return { module: CheckoutModule, controllers: sandbox ? [SandboxChallengeController] : [] };
  }

  constructor(
    private readonly jobs: PeriodicJobs,
    private readonly checkout: CheckoutService,
    private readonly refunds: RefundService,
  ) {}

  onModuleInit(): void {
    this.jobs.register('reservation-expiry', 1000, async () => {
      await this.checkout.expireReservations();
      await this.refunds.cancelPayments();
    });
  }
}
