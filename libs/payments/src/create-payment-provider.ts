// Chooses the rail from configuration: Stripe when a secret key is set, else the sandbox.
import { randomBytes } from 'node:crypto';
import type { PaymentProvider, PaymentRail } from './payment-provider.js';
import {
  SandboxPaymentProvider,
  type SandboxPaymentProviderOptions,
} from './sandbox/sandbox-payment-provider.js';
import {
  StripePaymentProvider,
  type StripePaymentProviderOptions,
} from './stripe/stripe-payment-provider.js';

/** Runs background work now and then, in one process at a time (`PeriodicJobs` of #database). */
export interface PaymentJobScheduler {
  register(name: string, intervalMs: number, run: () => Promise<void>): void;
}

export interface PaymentProviderConfig {
  /** `STRIPE_SECRET_KEY`; absent ⇒ sandbox rail. */
  stripeSecretKey?: string;
  /**
   * `STRIPE_WEBHOOK_SECRET`. Required for Stripe. For the sandbox a random per-process secret is
   * used when absent; that works across processes too, since each signs what it delivers itself.
   */
  webhookSecret?: string;
  webhookToleranceSeconds?: number;
  stripe?: Omit<StripePaymentProviderOptions, 'secretKey' | 'webhookSecret' | 'webhookToleranceSeconds'>;
  /** Required for the sandbox rail (at least `dataSource` and `deliver`). */
  sandbox?: Omit<SandboxPaymentProviderOptions, 'webhookSecret' | 'webhookToleranceSeconds'> & {
    /** Where the sandbox's delivery and dispute job runs; without it, call `runDueWork()` yourself. */
    jobs?: PaymentJobScheduler;
  };
}

/** How often the sandbox delivers due events (retries, a dead process's) and opens due disputes. */
export const SANDBOX_JOB_INTERVAL_MS = 1_000;

/** The rail a configuration selects: Stripe if a secret key is set, else the sandbox. */
export function paymentRailOf(config: Pick<PaymentProviderConfig, 'stripeSecretKey'>): PaymentRail {
  return config.stripeSecretKey ? 'stripe' : 'sandbox';
}

/** Builds the configured payment provider (Stripe if `stripeSecretKey` is set, else the sandbox). */
export function createPaymentProvider(config: PaymentProviderConfig): PaymentProvider {
  const { stripeSecretKey, webhookSecret, webhookToleranceSeconds } = config;
  if (stripeSecretKey) {
    if (!webhookSecret) throw new Error('STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set');
    return new StripePaymentProvider({
      ...config.stripe,
      secretKey: stripeSecretKey,
      webhookSecret,
      webhookToleranceSeconds,
    });
  }
  if (!config.sandbox?.deliver)
    throw new Error('The sandbox payment rail needs a deliver callback for its webhooks');
  if (!config.sandbox.dataSource)
    throw new Error('The sandbox payment rail needs a database for its payments and events');
  const { jobs, ...options } = config.sandbox;
  const sandbox = new SandboxPaymentProvider({
    ...options,
    webhookSecret: webhookSecret || `whsec_sandbox_${randomBytes(24).toString('hex')}`,
    webhookToleranceSeconds,
  });
  jobs?.register('sandbox-processor', SANDBOX_JOB_INTERVAL_MS, () => sandbox.runDueWork());
  return sandbox;
}
