import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { PeriodicJobs } from '#database';
import { IdentityModule } from '#identity';
import { MintingModule } from '#minting';
import { createPaymentProvider, PAYMENT_PROVIDER, paymentRailOf, type PaymentProvider } from '#payments';
import { CheckoutController, SandboxChallengeController, WebhookController } from './checkout.controller.js';
import { CheckoutService } from './checkout.service.js';
import { ListingService } from './listing.service.js';
import { OperatorRefundsController } from './operator-refunds.controller.js';
import { LotteryService } from './lottery.service.js';
import { PaymentEventInbox } from './payment-event-inbox.js';
import { PaymentEventsOperatorController } from './payment-events.controller.js';
import { PaymentEventsService } from './payment-events.service.js';
import { RefundService } from './refund.service.js';
import { ReservationService } from './reservation.service.js';
import { SettlementService } from './settlement.service.js';

/** Stripe when STRIPE_SECRET_KEY is set; otherwise the sandbox rail, whose events enter the same inbox. */
function paymentProviderFactory(
  config: HeirloomConfig,
  inbox: PaymentEventInbox,
  dataSource: DataSource,
  jobs: PeriodicJobs,
): PaymentProvider {
  return createPaymentProvider({
    stripeSecretKey: config.stripeSecretKey,
    webhookSecret: config.stripeWebhookSecret,
    stripe: {
      apiUrl: config.stripeApiHost,
      timeoutMs: config.stripeTimeoutMs,
      maxNetworkRetries: config.stripeMaxNetworkRetries,
    },
    sandbox: {
      // The sandbox keeps its payments and undelivered events in its own tables; any process delivers.
      dataSource,
      jobs,
      // Same verification and storage as POST /webhooks/stripe, without a loopback HTTP hop.
      deliver: (rawBody, signature) => inbox.deliver(rawBody, signature),
      challengePath: '/sandbox/3ds',
      disputeDelayMs: config.sandboxDisputeDelayMs,
    },
  });
}

@Module({
  imports: [IdentityModule, MintingModule],
  controllers: [
    CheckoutController,
    WebhookController,
    OperatorRefundsController,
    PaymentEventsOperatorController,
  ],
  providers: [
    {
      provide: PAYMENT_PROVIDER,
      useFactory: paymentProviderFactory,
      inject: [HeirloomConfig, PaymentEventInbox, DataSource, PeriodicJobs],
    },
    CheckoutService,
    ListingService,
    LotteryService,
    PaymentEventInbox,
    PaymentEventsService,
    RefundService,
    ReservationService,
    SettlementService,
  ],
  exports: [CheckoutService, ListingService, PaymentEventsService, PAYMENT_PROVIDER],
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
    private readonly events: PaymentEventsService,
    private readonly refunds: RefundService,
    private readonly inbox: PaymentEventInbox,
  ) {}

  onModuleInit(): void {
    this.inbox.connect((rawBody, signature) => this.events.receive(rawBody, signature));
    this.jobs.register('reservation-expiry', 1000, async () => {
      await this.checkout.expireReservations();
      await this.refunds.cancelPayments();
    });
    // Recovery: events stored but not applied (a crash mid-settlement, or deferred) and refunds owed.
    this.jobs.register('settlement-recovery', 2000, async () => {
      await this.events.processPending();
      await this.refunds.sendPending();
    });
  }
}
