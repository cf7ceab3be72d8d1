import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import type { CreatePaymentRequest, PaymentProviderEvent, SandboxCard } from '../payment-provider.js';
import {
  PaymentNotFoundError,
  PaymentRequestInvalidError,
  WebhookSignatureError,
} from '../payment-provider.exception.js';
import { stateForEvent } from '../payment-state.js';
import { SANDBOX_TEST_CARDS } from './sandbox-cards.js';
import { SandboxPaymentProvider, type SandboxPaymentProviderOptions } from './sandbox-payment-provider.js';

const SECRET = 'whsec_sandbox_test_secret';
const NOW = Date.UTC(2030, 5, 15, 12);
const CVC = '987';

interface Delivered {
  body: string;
  signature: string;
}

const open: SandboxPaymentProvider[] = [];
afterEach(() => {
  for (const provider of open.splice(0)) provider.close();
});

function sandbox(options: Partial<SandboxPaymentProviderOptions> = {}) {
  const delivered: Delivered[] = [];
  const provider = new SandboxPaymentProvider({
    webhookSecret: SECRET,
    deliver: async (body, signature) => {
      delivered.push({ body, signature });
    },
    disputeDelayMs: null,
    now: () => NOW,
    ...options,
  });
  open.push(provider);
  const events = async (): Promise<PaymentProviderEvent[]> => {
    await provider.whenIdle();
    return delivered.map((d) => provider.parseWebhook(d.body, d.signature) as PaymentProviderEvent);
  };
  return { provider, delivered, events };
}

function leafValues(value: unknown): unknown[] {
  if (typeof value !== 'object' || value === null) return [value];
  return Object.values(value).flatMap(leafValues);
}

function card(number: string, overrides: Partial<SandboxCard> = {}): SandboxCard {
  return { number, expMonth: 12, expYear: 2031, cvc: CVC, ...overrides };
}

function request(number: string, overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest {
  return {
    orderId: 'order-1',
    amount: 5_000,
    currency: 'eur',
    idempotencyKey: `key-${Math.random()}`,
    card: card(number),
    metadata: { buyer: 'acct_1' },
    ...overrides,
  };
}

describe('SandboxPaymentProvider', () => {
  it('charges 4242… and emits a signed payment_intent.succeeded', async () => {
    const { provider, events } = sandbox();
    const outcome = await provider.createPayment(request(SANDBOX_TEST_CARDS.success));
    expect(outcome).toEqual({ status: 'succeeded', paymentId: expect.stringMatching(/^pi_/) });
    const [event] = await events();
    expect(event).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: 'payment_intent.succeeded',
      created: Math.floor(NOW / 1000),
      livemode: false,
      paymentId: outcome.status === 'succeeded' ? outcome.paymentId : '',
      amount: 5_000,
      currency: 'eur',
      orderId: 'order-1',
      cardBrand: 'visa',
      cardLast4: '4242',
    });
  });

  it('succeeds with any other valid card', async () => {
    const { provider, events } = sandbox();
    expect(await provider.createPayment(request('5555555555554444'))).toMatchObject({ status: 'succeeded' });
    expect((await events())[0]).toMatchObject({ cardBrand: 'mastercard', cardLast4: '4444' });
  });

  it.each([
    [SANDBOX_TEST_CARDS.declined, 'card_declined'],
    [SANDBOX_TEST_CARDS.insufficientFunds, 'insufficient_funds'],
  ] as const)('declines %s with %s and emits payment_intent.payment_failed', async (number, declineCode) => {
    const { provider, events } = sandbox();
    const outcome = await provider.createPayment(request(number));
    expect(outcome).toMatchObject({
      status: 'declined',
      declineCode,
      paymentId: expect.stringMatching(/^pi_/),
    });
    const [event] = await events();
    expect(event).toMatchObject({ type: 'payment_intent.payment_failed', failureCode: declineCode });
    expect(stateForEvent(event!)).toBe('declined');
  });

  it.each([
    ['Luhn', card('4242424242424241'), 'incorrect_number'],
    ['expiry', card(SANDBOX_TEST_CARDS.success, { expMonth: 5, expYear: 2030 }), 'expired_card'],
    ['CVC', card(SANDBOX_TEST_CARDS.success, { cvc: '12' }), 'incorrect_cvc'],
  ] as const)('rejects a bad %s before any payment exists', async (_what, badCard, declineCode) => {
    const { provider, delivered } = sandbox();
    const outcome = await provider.createPayment({ ...request(''), card: badCard });
    expect(outcome).toEqual({ status: 'declined', declineCode, message: expect.any(String) });
    await provider.whenIdle();
    expect(delivered).toHaveLength(0);
  });

  it('asks for 3-D Secure on 4000 0025 0000 3155 and succeeds once approved', async () => {
    const { provider, events } = sandbox({ challengePath: '/sandbox/3ds' });
    const outcome = await provider.createPayment(
      request(SANDBOX_TEST_CARDS.threeDSecure, { returnUrl: 'https://shop.test/orders/1' }),
    );
    if (outcome.status !== 'requires_action') throw new Error(`unexpected ${outcome.status}`);
    expect(outcome.nextAction).toEqual({ type: 'redirect_to_url', url: `/sandbox/3ds/${outcome.paymentId}` });
    expect(outcome.clientSecret).toMatch(new RegExp(`^${outcome.paymentId}_secret_`));
    expect(await events()).toHaveLength(0);
    expect(provider.describeChallenge(outcome.paymentId)).toMatchObject({
      pending: true,
      amount: 5_000,
      cardLast4: '3155',
      returnUrl: 'https://shop.test/orders/1',
    });

    expect(await provider.confirmAction(outcome.paymentId, { approve: true })).toEqual({
      status: 'succeeded',
      paymentId: outcome.paymentId,
    });
    // Completing twice (double click, retried request) changes nothing.
    expect(provider.completeChallenge(outcome.paymentId, false)).toMatchObject({ status: 'succeeded' });
    expect((await events()).map((e) => e.type)).toEqual(['payment_intent.succeeded']);
  });

  it('declines an abandoned 3-D Secure challenge as authentication_failed', async () => {
    const { provider, events } = sandbox();
    const outcome = await provider.createPayment(request(SANDBOX_TEST_CARDS.threeDSecure));
    const result = provider.completeChallenge(outcome.paymentId!, false);
    expect(result).toMatchObject({ status: 'declined', declineCode: 'authentication_failed' });
    expect(await events()).toMatchObject([
      { type: 'payment_intent.payment_failed', failureCode: 'authentication_failed' },
    ]);
  });

  it('disputes 4000 0000 0000 0259 after the configured delay and closes the dispute on request', async () => {
    const { provider, events } = sandbox({ disputeDelayMs: 10, now: Date.now });
    const outcome = await provider.createPayment(request(SANDBOX_TEST_CARDS.disputed));
    expect(outcome.status).toBe('succeeded');
    await new Promise((resolve) => setTimeout(resolve, 40));
    provider.closeDispute(outcome.paymentId!, 'lost');
    const received = await events();
    expect(received.map((e) => e.type)).toEqual([
      'payment_intent.succeeded',
      'charge.dispute.created',
      'charge.dispute.closed',
    ]);
    expect(received[1]).toMatchObject({
      paymentId: outcome.paymentId,
      disputeStatus: 'needs_response',
      amount: 5_000,
    });
    expect(received[2]).toMatchObject({ disputeId: received[1]!.disputeId, disputeStatus: 'lost' });
    expect(received.map(stateForEvent)).toEqual(['succeeded', 'disputed', 'dispute_lost']);
  });

  it('lets operators open and win a dispute by hand', async () => {
    const { provider, events } = sandbox();
    const { paymentId } = await provider.createPayment(request(SANDBOX_TEST_CARDS.disputed));
    provider.openDispute(paymentId!);
    provider.openDispute(paymentId!);
    provider.closeDispute(paymentId!, 'won');
    expect((await events()).map(stateForEvent)).toEqual(['succeeded', 'disputed', 'dispute_won']);
  });

  it('maps the same idempotency key to the same payment, also after a restart', async () => {
    const first = sandbox();
    const req = request(SANDBOX_TEST_CARDS.success, { idempotencyKey: 'order-1:attempt-1' });
    const a = await first.provider.createPayment(req);
    const b = await first.provider.createPayment(req);
    expect(b).toEqual(a);
    expect(await first.events()).toHaveLength(1);
    await expect(first.provider.createPayment({ ...req, amount: 1 })).rejects.toThrow(
      PaymentRequestInvalidError,
    );

    const restarted = sandbox();
    expect(await restarted.provider.createPayment(req)).toEqual(a);
    expect((await restarted.events())[0]!.id).toBe((await first.events())[0]!.id);
  });

  it('refunds in parts up to the paid amount, idempotently', async () => {
    const { provider, events } = sandbox();
    const { paymentId } = await provider.createPayment(request(SANDBOX_TEST_CARDS.success));
    const refund = { reason: 'requested_by_customer', idempotencyKey: 'refund-1' } as const;
    const partial = await provider.refund(paymentId!, { ...refund, amount: 2_000 });
    expect(partial).toMatchObject({
      status: 'succeeded',
      amount: 2_000,
      refundId: expect.stringMatching(/^re_/),
    });
    expect(await provider.refund(paymentId!, { ...refund, amount: 2_000 })).toEqual(partial);
    expect(
      await provider.refund(paymentId!, { ...refund, idempotencyKey: 'refund-2', amount: 4_000 }),
    ).toMatchObject({
      status: 'rejected',
      reason: 'amount_too_large',
    });
    expect(await provider.refund(paymentId!, { ...refund, idempotencyKey: 'refund-3' })).toMatchObject({
      status: 'succeeded',
      amount: 3_000,
    });
    expect(await provider.refund(paymentId!, { ...refund, idempotencyKey: 'refund-4' })).toMatchObject({
      status: 'rejected',
      reason: 'already_refunded',
    });
    const refunds = (await events()).slice(1);
    expect(refunds.map((e) => [e.type, e.amountRefunded, stateForEvent(e)])).toEqual([
      ['charge.refunded', 2_000, 'partially_refunded'],
      ['charge.refunded', 5_000, 'refunded'],
    ]);
  });

  it('cancels an unfinished payment but not a succeeded one', async () => {
    const { provider, events } = sandbox();
    const pending = await provider.createPayment(request(SANDBOX_TEST_CARDS.threeDSecure));
    expect(await provider.cancelPayment(pending.paymentId!, 'cancel-1')).toEqual({
      status: 'canceled',
      paymentId: pending.paymentId,
    });
    expect(provider.completeChallenge(pending.paymentId!, true)).toMatchObject({ status: 'canceled' });
    const paid = await provider.createPayment(request(SANDBOX_TEST_CARDS.success));
    expect(await provider.cancelPayment(paid.paymentId!, 'cancel-2')).toEqual({
      status: 'not_cancelable',
      paymentId: paid.paymentId,
      paymentStatus: 'succeeded',
    });
    expect((await events()).map((e) => e.type)).toEqual([
      'payment_intent.canceled',
      'payment_intent.succeeded',
    ]);
  });

  it("accepts Stripe's test PaymentMethod ids", async () => {
    const { provider } = sandbox();
    const base = { ...request(''), card: undefined };
    expect(await provider.createPayment({ ...base, paymentMethodId: 'pm_card_visa' })).toMatchObject({
      status: 'succeeded',
    });
    expect(
      await provider.createPayment({
        ...base,
        idempotencyKey: 'k2',
        paymentMethodId: 'pm_card_chargeDeclined',
      }),
    ).toMatchObject({ status: 'declined', declineCode: 'card_declined' });
    await expect(provider.createPayment({ ...base, paymentMethodId: 'pm_nope' })).rejects.toThrow(
      PaymentRequestInvalidError,
    );
  });

  it('rejects malformed requests and unknown payments with typed errors', async () => {
    const { provider } = sandbox();
    await expect(provider.createPayment(request(SANDBOX_TEST_CARDS.success, { amount: 0 }))).rejects.toThrow(
      PaymentRequestInvalidError,
    );
    await expect(
      provider.createPayment(request(SANDBOX_TEST_CARDS.success, { currency: 'EUR' })),
    ).rejects.toThrow(/lower-case ISO-4217/);
    await expect(provider.confirmAction('pi_unknown', { approve: true })).rejects.toThrow(
      PaymentNotFoundError,
    );
  });

  it('keeps only brand and last four in emitted events', async () => {
    const { provider, delivered } = sandbox();
    const number = SANDBOX_TEST_CARDS.insufficientFunds;
    await provider.createPayment(request(number));
    await provider.createPayment(request(SANDBOX_TEST_CARDS.success));
    await provider.whenIdle();
    for (const { body } of delivered) {
      expect(body).not.toContain(number);
      expect(body).not.toContain(SANDBOX_TEST_CARDS.success);
      expect(leafValues(JSON.parse(body))).not.toContain(CVC);
      expect(body).not.toMatch(/exp_(month|year)|cvc|"number"/);
      const event = JSON.parse(body) as { data: { object: { payment_method: unknown } } };
      expect(event.data.object.payment_method).toEqual({
        id: expect.stringMatching(/^pm_/),
        object: 'payment_method',
        type: 'card',
        card: { brand: 'visa', last4: expect.stringMatching(/^\d{4}$/) },
      });
    }
  });

  it('emits Stripe-shaped events that verify only with the right secret and untouched body', async () => {
    const { provider, delivered } = sandbox();
    await provider.createPayment(request(SANDBOX_TEST_CARDS.success));
    await provider.whenIdle();
    const { body, signature } = delivered[0]!;
    expect(JSON.parse(body)).toMatchObject({
      object: 'event',
      api_version: Stripe.API_VERSION,
      livemode: false,
      type: 'payment_intent.succeeded',
      data: { object: { object: 'payment_intent', status: 'succeeded', amount: 5_000, currency: 'eur' } },
    });
    expect(provider.parseWebhook(Buffer.from(body), signature).type).toBe('payment_intent.succeeded');
    const tampered = body.replace('"amount": 5000', '"amount": 1');
    expect(tampered).not.toBe(body);
    expect(() => provider.parseWebhook(tampered, signature)).toThrow(WebhookSignatureError);
    const forged = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_other' });
    expect(() => provider.parseWebhook(body, forged)).toThrow(WebhookSignatureError);
    expect(() => provider.parseWebhook(body, '')).toThrow(WebhookSignatureError);
    const later = sandbox({ now: () => NOW + 301_000 });
    expect(() => later.provider.parseWebhook(body, signature)).toThrow(/tolerance/);
  });

  it('retries delivery with backoff until the receiver accepts, signing each attempt', async () => {
    const attempts: string[] = [];
    const failures: unknown[] = [];
    const { provider } = sandbox({
      deliver: async (body, signature) => {
        attempts.push(signature);
        provider.parseWebhook(body, signature);
        if (attempts.length < 3) throw new Error('webhook endpoint down');
      },
      delivery: { initialDelayMs: 1, onError: (error) => failures.push(error) },
    });
    await provider.createPayment(request(SANDBOX_TEST_CARDS.success));
    await provider.whenIdle();
    expect(attempts).toHaveLength(3);
    expect(failures).toHaveLength(2);
  });
});
