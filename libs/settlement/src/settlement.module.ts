import { Module, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { PeriodicJobs } from '#database';
import { MintingModule } from '#minting';
import { createPaymentProvider, PAYMENT_PROVIDER, type PaymentProvider } from '#payments';
import { ConnectedAccountEvents } from './connected-account-events.js';
import {
  OperatorPaymentCancelsController,
  OperatorRefundsController,
  OperatorSalesController,
} from './operator-refunds.controller.js';
import { PaymentEventInbox } from './payment-event-inbox.js';
import { PaymentEventsOperatorController } from './payment-events.controller.js';
import { PaymentEventsService } from './payment-events.service.js';
import { RefundService } from './refund.service.js';
import { SaleRefundsService } from './sale-refunds.service.js';
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
      connectWebhookSecret: config.stripeConnectWebhookSecret,
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

/**
 * The payment port, the payment-event inbox and settlement, refunds and payment cancels, and the
 * money journal (tables `payment_events`, `refund_requests`, `payment_cancels`, `journal_entries`,
 * `journal_lines`); Stripe Connect account events are handed to payouts through
 * `ConnectedAccountEvents`. Orders move through libs/orders, listings through libs/market.
 */
@Module({
  imports: [MintingModule],
  controllers: [
    OperatorRefundsController,
    OperatorPaymentCancelsController,
    OperatorSalesController,
    PaymentEventsOperatorController,
  ],
  providers: [
    {
      provide: PAYMENT_PROVIDER,
      useFactory: paymentProviderFactory,
      inject: [HeirloomConfig, PaymentEventInbox, DataSource, PeriodicJobs],
    },
    PaymentEventInbox,
    ConnectedAccountEvents,
    PaymentEventsService,
    RefundService,
    SaleRefundsService,
    SettlementService,
  ],
  exports: [PaymentEventsService, RefundService, ConnectedAccountEvents, PAYMENT_PROVIDER],
})
export class SettlementModule implements OnModuleInit {
  constructor(
    private readonly jobs: PeriodicJobs,
    private readonly events: PaymentEventsService,
    private readonly refunds: RefundService,
    private readonly inbox: PaymentEventInbox,
  ) {}

  onModuleInit(): void {
    this.inbox.connect((rawBody, signature) => this.events.receive(rawBody, signature));
    // Recovery: events stored but not applied (a crash mid-settlement, or deferred) and refunds owed.
    this.jobs.register('settlement-recovery', 2000, async () => {
      await this.events.processPending();
      await this.refunds.sendPending();
    });
  }
}
