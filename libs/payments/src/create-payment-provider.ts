// Chooses the rail from configuration: Stripe when a secret key is set, else the sandbox.
import { randomBytes } from 'node:crypto';
import type { PaymentProvider } from './payment-provider.js';
import {
  SandboxPaymentProvider,
  type SandboxPaymentProviderOptions,
} from './sandbox/sandbox-payment-provider.js';
import {
  StripePaymentProvider,
  type StripePaymentProviderOptions,
} from './stripe/stripe-payment-provider.js';

export interface PaymentProviderConfig {
  /** `STRIPE_SECRET_KEY`; absent ⇒ sandbox rail. */
  stripeSecretKey?: string;
  /**
   * `STRIPE_WEBHOOK_SECRET`. Required for Stripe. For the sandbox a random per-process secret is
   * used when absent, which only works while one process both emits and receives its events.
   */
  webhookSecret?: string;
  webhookToleranceSeconds?: number;
  stripe?: Omit<StripePaymentProviderOptions, 'secretKey' | 'webhookSecret' | 'webhookToleranceSeconds'>;
  /** Required for the sandbox rail (at least `deliver`). */
  sandbox?: Omit<SandboxPaymentProviderOptions, 'webhookSecret' | 'webhookToleranceSeconds'>;
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
  return new SandboxPaymentProvider({
    ...config.sandbox,
    webhookSecret: webhookSecret || `whsec_sandbox_${randomBytes(24).toString('hex')}`,
    webhookToleranceSeconds,
  });
}
