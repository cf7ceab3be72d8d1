import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStripeTestServer, type StripeTestServer } from '../../../../test/support/stripe-test-server.js';
import type { CreatePaymentRequest, PaymentProviderEvent } from '../payment-provider.js';
import {
  PaymentNotFoundError,
  PaymentProviderUnavailableError,
  PaymentRequestInvalidError,
  WebhookSignatureError,
} from '../payment-provider.exception.js';
import { StripePaymentProvider, type StripePaymentProviderOptions } from './stripe-payment-provider.js';

const WEBHOOK_SECRET = 'whsec_test_endpoint_secret';
let server: StripeTestServer;
let stripe: StripePaymentProvider;
let keyCounter = 0;

function provider(overrides: Partial<StripePaymentProviderOptions> = {}): StripePaymentProvider {
  return new StripePaymentProvider({
    secretKey: 'sk_test_heirloom',
    webhookSecret: WEBHOOK_SECRET,
    host: '127.0.0.1',
    port: server.port,
    protocol: 'http',
    maxNetworkRetries: 2,
    timeoutMs: 2_000,
    ...overrides,
  });
}

function payment(overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest {
  return {
    orderId: 'order-42',
    amount: 2_500,
    currency: 'eur',
    idempotencyKey: `order-42:pay:${++keyCounter}`,
    paymentMethodId: 'pm_card_visa',
    metadata: { buyer: 'acct_7' },
    ...overrides,
  };
}

beforeAll(async () => {
  server = await startStripeTestServer();
  stripe = provider();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

describe('StripePaymentProvider against a local Stripe API', () => {
  it('confirms a PaymentIntent server-side and reports success', async () => {
    const request = payment();
    expect(await stripe.createPayment(request)).toEqual({
      status: 'succeeded',
      paymentId: expect.stringMatching(/^pi_/),
    });
    expect(server.requests).toEqual([
      {
        method: 'POST',
        path: '/v1/payment_intents',
        idempotencyKey: request.idempotencyKey,
        body: {
          amount: '2500',
          currency: 'eur',
          confirm: 'true',
          payment_method: 'pm_card_visa',
          automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
          metadata: { buyer: 'acct_7', order_id: 'order-42' },
        },
      },
    ]);
  });

  it.each([
    ['pm_card_chargeDeclined', 'card_declined'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc'],
  ])('turns the card error of %s into a declined outcome (%s)', async (paymentMethodId, declineCode) => {
    const outcome = await stripe.createPayment(payment({ paymentMethodId }));
    expect(outcome).toEqual({
      status: 'declined',
      paymentId: expect.stringMatching(/^pi_/),
      declineCode,
      message: expect.any(String),
    });
  });

  it('surfaces 3-D Secure as a redirect and reads the result after the challenge', async () => {
    const outcome = await stripe.createPayment(
      payment({ paymentMethodId: 'pm_card_threeDSecure2Required', returnUrl: 'https://shop.test/return' }),
    );
    if (outcome.status !== 'requires_action') throw new Error(`unexpected ${outcome.status}`);
    expect(outcome.nextAction).toEqual({
      type: 'redirect_to_url',
      url: expect.stringContaining('3d_secure'),
    });
    expect(server.requests[0]?.body).toMatchObject({
      return_url: 'https://shop.test/return',
      automatic_payment_methods: { allow_redirects: 'always' },
    });

    expect(await stripe.confirmAction(outcome.paymentId, { approve: true })).toMatchObject({
      status: 'requires_action',
    });
    server.completeThreeDSecure(outcome.paymentId, true);
    expect(await stripe.confirmAction(outcome.paymentId, { approve: true })).toEqual({
      status: 'succeeded',
      paymentId: outcome.paymentId,
    });
  });

  it('reports an abandoned 3-D Secure challenge as authentication_failed', async () => {
    const outcome = await stripe.createPayment(payment({ paymentMethodId: 'pm_card_threeDSecure2Required' }));
    expect(outcome).toMatchObject({
      status: 'requires_action',
      clientSecret: expect.stringContaining('_secret_'),
      nextAction: { type: 'use_stripe_sdk' },
    });
    server.completeThreeDSecure(outcome.paymentId!, false);
    expect(await stripe.confirmAction(outcome.paymentId!, { approve: false })).toMatchObject({
      status: 'declined',
      declineCode: 'authentication_failed',
    });
  });

  it('leaves confirmation to the Payment Element when no payment method is given', async () => {
    const outcome = await stripe.createPayment(payment({ paymentMethodId: undefined }));
    expect(outcome).toMatchObject({
      status: 'requires_action',
      clientSecret: expect.stringMatching(/^pi_.+_secret_/),
      nextAction: { type: 'use_stripe_sdk' },
    });
    expect(server.requests[0]?.body).not.toHaveProperty('confirm');
  });

  it('refuses raw card numbers without calling Stripe', async () => {
    const card = { number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123' };
    await expect(stripe.createPayment(payment({ paymentMethodId: undefined, card }))).rejects.toThrow(
      PaymentRequestInvalidError,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('refunds through refunds.create and reports over-refunds as rejections', async () => {
    const { paymentId } = await stripe.createPayment(payment());
    const partial = await stripe.refund(paymentId!, {
      amount: 1_000,
      reason: 'requested_by_customer',
      idempotencyKey: 'r1',
    });
    expect(partial).toEqual({
      status: 'succeeded',
      refundId: expect.stringMatching(/^re_/),
      paymentId,
      amount: 1_000,
    });
    expect(server.requests.at(-1)).toMatchObject({
      path: '/v1/refunds',
      idempotencyKey: 'r1',
      body: { payment_intent: paymentId, amount: '1000', reason: 'requested_by_customer' },
    });
    expect(await stripe.refund(paymentId!, { reason: 'duplicate', idempotencyKey: 'r2' })).toMatchObject({
      amount: 1_500,
    });
    expect(await stripe.refund(paymentId!, { reason: 'duplicate', idempotencyKey: 'r3' })).toMatchObject({
      status: 'rejected',
      reason: 'already_refunded',
    });
  });

  it('cancels an unconfirmed intent and reports a succeeded one as not cancelable', async () => {
    const open = await stripe.createPayment(payment({ paymentMethodId: undefined }));
    expect(await stripe.cancelPayment(open.paymentId!, 'c1')).toEqual({
      status: 'canceled',
      paymentId: open.paymentId,
    });
    expect(server.requests.at(-1)).toMatchObject({
      path: `/v1/payment_intents/${open.paymentId}/cancel`,
      idempotencyKey: 'c1',
      body: { cancellation_reason: 'abandoned' },
    });
    expect(await stripe.cancelPayment(open.paymentId!, 'c2')).toEqual({
      status: 'canceled',
      paymentId: open.paymentId,
    });
    const paid = await stripe.createPayment(payment());
    expect(await stripe.cancelPayment(paid.paymentId!, 'c3')).toEqual({
      status: 'not_cancelable',
      paymentId: paid.paymentId,
      paymentStatus: 'succeeded',
    });
  });

  it('sends an idempotency key with every request and replays the same key on SDK retries', async () => {
    const request = payment();
    server.failNext(1);
    const first = await stripe.createPayment(request);
    expect(first.status).toBe('succeeded');
    // Our own retry of the same logical call gets Stripe's stored answer: same payment.
    expect(await stripe.createPayment(request)).toEqual(first);
    await stripe.confirmAction(first.paymentId!, { approve: true });
    await stripe.refund(first.paymentId!, { reason: 'duplicate', idempotencyKey: 'retry-refund' });

    expect(server.requests.map((r) => [r.method, r.path, r.idempotencyKey])).toEqual([
      ['POST', '/v1/payment_intents', request.idempotencyKey],
      ['POST', '/v1/payment_intents', request.idempotencyKey],
      ['POST', '/v1/payment_intents', request.idempotencyKey],
      ['GET', `/v1/payment_intents/${first.paymentId}`, `retrieve:${first.paymentId}`],
      ['POST', '/v1/refunds', 'retry-refund'],
    ]);
    expect(
      server.requests.every((r) => typeof r.idempotencyKey === 'string' && r.idempotencyKey !== ''),
    ).toBe(true);
  });

  it('treats a reused key with other parameters as an invalid request', async () => {
    const request = payment();
    await stripe.createPayment(request);
    await expect(stripe.createPayment({ ...request, amount: 9_999 })).rejects.toThrow(
      PaymentRequestInvalidError,
    );
  });

  it('throws PaymentProviderUnavailableError when Stripe keeps failing or is unreachable', async () => {
    const noRetries = provider({ maxNetworkRetries: 0 });
    server.failNext(1, 503);
    await expect(noRetries.createPayment(payment())).rejects.toThrow(PaymentProviderUnavailableError);
    const unreachable = provider({ port: 1, maxNetworkRetries: 0 });
    await expect(unreachable.createPayment(payment())).rejects.toThrow(PaymentProviderUnavailableError);
    const badKey = provider({ secretKey: 'rk_wrong', maxNetworkRetries: 0 });
    await expect(badKey.createPayment(payment())).rejects.toThrow(PaymentProviderUnavailableError);
  });

  it('accepts the API endpoint as one base URL', async () => {
    const viaUrl = provider({ host: undefined, port: undefined, protocol: undefined, apiUrl: server.url });
    expect(await viaUrl.createPayment(payment())).toMatchObject({ status: 'succeeded' });
  });

  it('gives up on a Stripe that never answers after its timeout and one retry with the same key', async () => {
    const silent = await startSilentServer();
    try {
      const hurried = provider({ port: silent.port, timeoutMs: 300, maxNetworkRetries: 1 });
      const request = payment();
      const started = Date.now();
      await expect(hurried.createPayment(request)).rejects.toThrow(PaymentProviderUnavailableError);
      const elapsed = Date.now() - started;
      // Two attempts of 300 ms with the SDK's 0.5 s backoff between them, not 80 s per attempt.
      expect(elapsed).toBeGreaterThanOrEqual(600);
      expect(elapsed).toBeLessThan(3_000);
      expect(silent.idempotencyKeys).toEqual([request.idempotencyKey, request.idempotencyKey]);
    } finally {
      await silent.close();
    }
  });

  it('adds the card of a succeeded payment to its webhook event, read with the charge expanded', async () => {
    const { paymentId } = await stripe.createPayment(payment({ paymentMethodId: 'pm_card_mastercard' }));
    const event: PaymentProviderEvent = {
      id: 'evt_card',
      type: 'payment_intent.succeeded',
      created: 1,
      livemode: false,
      paymentId: paymentId!,
      amount: 2_500,
      currency: 'eur',
    };
    expect(await stripe.completeEvent(event)).toEqual({
      ...event,
      cardBrand: 'mastercard',
      cardLast4: '4444',
    });
    expect(server.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: `/v1/payment_intents/${paymentId}`,
      idempotencyKey: `card:${paymentId}`,
    });

    // Best effort: with Stripe failing the event goes on without the card.
    server.failNext(1, 503);
    expect(await provider({ maxNetworkRetries: 0 }).completeEvent(event)).toEqual(event);
    // Events that carry their card, and other types, cost no request.
    const calls = server.requests.length;
    const withCard = { ...event, cardBrand: 'visa', cardLast4: '4242' };
    expect(await stripe.completeEvent(withCard)).toBe(withCard);
    const refunded: PaymentProviderEvent = { ...event, type: 'charge.refunded', amountRefunded: 2_500 };
    expect(await stripe.completeEvent(refunded)).toBe(refunded);
    expect(server.requests).toHaveLength(calls);
  });

  it('throws PaymentNotFoundError for an unknown payment', async () => {
    await expect(stripe.confirmAction('pi_missing', { approve: true })).rejects.toThrow(PaymentNotFoundError);
    await expect(stripe.refund('pi_missing', { reason: 'duplicate', idempotencyKey: 'x' })).rejects.toThrow(
      PaymentNotFoundError,
    );
  });
});

describe('StripePaymentProvider.parseWebhook', () => {
  const succeeded = JSON.stringify({
    id: 'evt_1',
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: 1_900_000_000,
    livemode: false,
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: 'pi_1',
        object: 'payment_intent',
        amount: 2_500,
        currency: 'eur',
        status: 'succeeded',
        payment_method: 'pm_1',
        latest_charge: 'ch_1',
        metadata: { order_id: 'order-42' },
      },
    },
  });
  const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, ...options });

  it('verifies the signature and normalises the event', () => {
    expect(stripe.parseWebhook(Buffer.from(succeeded), sign(succeeded))).toEqual({
      id: 'evt_1',
      type: 'payment_intent.succeeded',
      created: 1_900_000_000,
      livemode: false,
      paymentId: 'pi_1',
      amount: 2_500,
      currency: 'eur',
      orderId: 'order-42',
    });
  });

  it('rejects a wrong secret, a tampered body and an expired timestamp', () => {
    expect(() => stripe.parseWebhook(succeeded, sign(succeeded, { secret: 'whsec_wrong' }))).toThrow(
      WebhookSignatureError,
    );
    expect(() => stripe.parseWebhook(succeeded.replace('2500', '1'), sign(succeeded))).toThrow(
      WebhookSignatureError,
    );
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    expect(() => stripe.parseWebhook(succeeded, sign(succeeded, { timestamp: tenMinutesAgo }))).toThrow(
      /tolerance/,
    );
    const lenient = provider({ webhookToleranceSeconds: 900 });
    expect(lenient.parseWebhook(succeeded, sign(succeeded, { timestamp: tenMinutesAgo })).type).toBe(
      'payment_intent.succeeded',
    );
  });

  it('normalises refunds and disputes, and ignores other event types', () => {
    const event = (type: string, object: Record<string, unknown>) => {
      const payload = JSON.stringify({
        id: `evt_${type}`,
        object: 'event',
        created: 1,
        livemode: true,
        type,
        data: { object },
      });
      return stripe.parseWebhook(payload, sign(payload));
    };
    const charge = {
      id: 'ch_1',
      object: 'charge',
      amount: 2_500,
      amount_refunded: 1_000,
      currency: 'eur',
      payment_intent: 'pi_1',
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242', exp_month: 12 } },
    };
    expect(event('charge.refunded', charge)).toMatchObject({
      type: 'charge.refunded',
      paymentId: 'pi_1',
      amountRefunded: 1_000,
      cardBrand: 'visa',
      cardLast4: '4242',
    });
    const dispute = { id: 'dp_1', object: 'dispute', amount: 2_500, currency: 'eur', payment_intent: 'pi_1' };
    expect(event('charge.dispute.closed', { ...dispute, status: 'won' })).toMatchObject({
      disputeId: 'dp_1',
      disputeStatus: 'won',
    });
    expect(event('charge.dispute.created', { ...dispute, status: 'something_new' })).toMatchObject({
      disputeStatus: 'other',
    });
    expect(event('customer.created', { id: 'cus_1', object: 'customer' })).toEqual({
      id: 'evt_customer.created',
      type: 'ignored',
      providerType: 'customer.created',
      created: 1,
      livemode: true,
    });
  });
});

/** An HTTP server that takes requests and never answers them, noting each one's idempotency key. */
async function startSilentServer() {
  const idempotencyKeys: (string | undefined)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req) => {
    idempotencyKeys.push(req.headers['idempotency-key'] as string | undefined);
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    idempotencyKeys,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('StripePaymentProvider.parseWebhook for Connect', () => {
  const CONNECT_SECRET = 'whsec_connect_endpoint_secret_0123456789abcdef';
  const accountUpdated = JSON.stringify({
    id: 'evt_acct',
    object: 'event',
    account: 'acct_1',
    created: 1_900_000_000,
    livemode: false,
    type: 'account.updated',
    data: { object: { id: 'acct_1', object: 'account', payouts_enabled: true, details_submitted: true } },
  });
  const sign = (payload: string, secret: string) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret });

  it('normalises account.updated, signed with the Connect endpoint’s secret or the account endpoint’s', () => {
    const connect = new StripePaymentProvider({
      secretKey: 'sk_test_connect',
      webhookSecret: WEBHOOK_SECRET,
      connectWebhookSecret: CONNECT_SECRET,
      now: () => 1_900_000_000_000,
    });
    const expected = {
      id: 'evt_acct',
      type: 'account.updated',
      created: 1_900_000_000,
      livemode: false,
      connectedAccountId: 'acct_1',
      payoutsEnabled: true,
      detailsSubmitted: true,
    };
    const at = { timestamp: 1_900_000_000 };
    const signed = (secret: string) =>
      Stripe.webhooks.generateTestHeaderString({ payload: accountUpdated, secret, ...at });
    expect(connect.parseWebhook(accountUpdated, signed(CONNECT_SECRET))).toEqual(expected);
    expect(connect.parseWebhook(accountUpdated, signed(WEBHOOK_SECRET))).toEqual(expected);
    expect(() => connect.parseWebhook(accountUpdated, signed('whsec_someone_else'))).toThrow(
      WebhookSignatureError,
    );
    // Without the Connect secret, only the account endpoint's signs.
    expect(() => stripe.parseWebhook(accountUpdated, sign(accountUpdated, CONNECT_SECRET))).toThrow(
      WebhookSignatureError,
    );
  });
});
