import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { createPaymentProvider, paymentRailOf } from './create-payment-provider.js';
import { WebhookPayloadError } from './payment-provider.exception.js';
import { SandboxPaymentProvider } from './sandbox/sandbox-payment-provider.js';
import { StripePaymentProvider } from './stripe/stripe-payment-provider.js';

const deliver = async () => {};
// Never connected: choosing and building a rail does not touch the database.
const dataSource = new DataSource({ type: 'postgres' });

describe('createPaymentProvider', () => {
  it('uses the sandbox rail when no Stripe key is configured, with its job on the scheduler', () => {
    const jobs: string[] = [];
    const provider = createPaymentProvider({
      sandbox: { deliver, dataSource, jobs: { register: (name) => void jobs.push(name) } },
    });
    expect(provider).toBeInstanceOf(SandboxPaymentProvider);
    expect(provider.rail).toBe('sandbox');
    expect(paymentRailOf({})).toBe('sandbox');
    expect(jobs).toEqual(['sandbox-processor']);
  });

  it('uses Stripe when a secret key is configured, and then needs the webhook secret', () => {
    const provider = createPaymentProvider({ stripeSecretKey: 'sk_test_1', webhookSecret: 'whsec_1' });
    expect(provider).toBeInstanceOf(StripePaymentProvider);
    expect(provider.rail).toBe('stripe');
    expect(paymentRailOf({ stripeSecretKey: 'sk_test_1' })).toBe('stripe');
    expect(() => createPaymentProvider({ stripeSecretKey: 'sk_test_1' })).toThrow(/STRIPE_WEBHOOK_SECRET/);
  });

  it('refuses a sandbox without a delivery callback or a database', () => {
    expect(() => createPaymentProvider({})).toThrow(/deliver/);
    expect(() => createPaymentProvider({ sandbox: { deliver } as never })).toThrow(/database/);
  });

  it('verifies with the configured secret and reports an authentic non-event body as a payload error', () => {
    const provider = createPaymentProvider({
      webhookSecret: 'whsec_shared',
      sandbox: { deliver, dataSource },
    });
    const payload = JSON.stringify({ id: 'x', object: 'customer' });
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_shared' });
    expect(() => provider.parseWebhook(payload, header)).toThrow(WebhookPayloadError);
    expect(() =>
      provider.parseWebhook(
        'not json',
        Stripe.webhooks.generateTestHeaderString({ payload: 'not json', secret: 'whsec_shared' }),
      ),
    ).toThrow(WebhookPayloadError);
  });
});
