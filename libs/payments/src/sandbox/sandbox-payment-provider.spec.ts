import pg from 'pg';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { withDatabase } from '#database';
import { StoreSandboxPayments1764001100000 } from '../../../../migrations/1764001100000-StoreSandboxPayments.js';
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

// The sandbox's own tables, in a database of this file's own: each test starts from empty tables.
const databaseName = `heirloom_sandbox_spec_${Date.now()}_${process.pid}`;
let dataSource: DataSource;

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(inject('databaseUrl'), 'postgres') });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  await adminQuery(`CREATE DATABASE ${databaseName}`);
  dataSource = new DataSource({ type: 'postgres', url: withDatabase(inject('databaseUrl'), databaseName) });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  await new StoreSandboxPayments1764001100000().up(runner);
  await runner.release();
});
afterAll(async () => {
  await dataSource?.destroy();
  await adminQuery(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
});
beforeEach(async () => {
  await dataSource.query(`TRUNCATE sandbox_events, sandbox_refunds, sandbox_payment_intents`);
});

const open: SandboxPaymentProvider[] = [];
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.beforeApplicationShutdown();
});

/** A sandbox instance on the shared tables: two of them stand for two API processes (or a restart). */
function sandbox(options: Partial<SandboxPaymentProviderOptions> = {}) {
  const delivered: Delivered[] = [];
  const provider = new SandboxPaymentProvider({
    dataSource,
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

const outbox = () =>
  dataSource.query(`SELECT id, type, attempts, delivered_at IS NOT NULL AS delivered FROM sandbox_events`);

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
    expect(await provider.describeChallenge(outcome.paymentId)).toMatchObject({
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
    expect(await provider.completeChallenge(outcome.paymentId, false)).toMatchObject({ status: 'succeeded' });
    expect((await events()).map((e) => e.type)).toEqual(['payment_intent.succeeded']);
  });

  it('declines an abandoned 3-D Secure challenge as authentication_failed', async () => {
    const { provider, events } = sandbox();
    const outcome = await provider.createPayment(request(SANDBOX_TEST_CARDS.threeDSecure));
    const result = await provider.completeChallenge(outcome.paymentId!, false);
    expect(result).toMatchObject({ status: 'declined', declineCode: 'authentication_failed' });
    expect(await events()).toMatchObject([
      { type: 'payment_intent.payment_failed', failureCode: 'authentication_failed' },
    ]);
  });

  it('disputes 4000 0000 0000 0259 after the configured delay and closes the dispute on request', async () => {
    const { provider, events, delivered } = sandbox({ disputeDelayMs: 10, now: Date.now });
    const outcome = await provider.createPayment(request(SANDBOX_TEST_CARDS.disputed));
    expect(outcome.status).toBe('succeeded');
    await expect.poll(() => delivered.length).toBe(2);
    await provider.closeDispute(outcome.paymentId!, 'lost');
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
    await provider.openDispute(paymentId!);
    await provider.openDispute(paymentId!);
    await provider.closeDispute(paymentId!, 'won');
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

    // The payment is in the sandbox's tables: a new instance answers it and emits nothing again.
    first.provider.close();
    const restarted = sandbox();
    expect(await restarted.provider.createPayment(req)).toEqual(a);
    expect(await restarted.provider.createPayment({ ...req, card: card('4242424242424241') })).toEqual(a);
    await expect(restarted.provider.createPayment({ ...req, amount: 1 })).rejects.toThrow(
      PaymentRequestInvalidError,
    );
    expect(await restarted.events()).toHaveLength(0);
  });

  it('answers concurrent calls with one key with one payment and one event', async () => {
    const { provider, events } = sandbox();
    const req = request(SANDBOX_TEST_CARDS.success, { idempotencyKey: 'order-1:concurrent' });
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => provider.createPayment(req)));
    expect(new Set(outcomes.map((o) => o.paymentId)).size).toBe(1);
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
    expect(await events()).toHaveLength(1);
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM sandbox_payment_intents`)).toEqual([
      { n: 1 },
    ]);
  });

  it('finishes a 3-D Secure step and refunds on another instance than the one that took the payment', async () => {
    const a = sandbox();
    const pending = await a.provider.createPayment(request(SANDBOX_TEST_CARDS.threeDSecure));
    expect(pending.status).toBe('requires_action');
    a.provider.close();

    const b = sandbox();
    expect(await b.provider.describeChallenge(pending.paymentId!)).toMatchObject({ pending: true });
    expect(await b.provider.confirmAction(pending.paymentId!, { approve: true })).toEqual({
      status: 'succeeded',
      paymentId: pending.paymentId,
    });
    const c = sandbox();
    expect(
      await c.provider.refund(pending.paymentId!, { reason: 'requested_by_customer', idempotencyKey: 'r-1' }),
    ).toMatchObject({ status: 'succeeded', amount: 5_000 });
    // A repeated refund on yet another instance is the same refund.
    expect(
      await b.provider.refund(pending.paymentId!, { reason: 'requested_by_customer', idempotencyKey: 'r-1' }),
    ).toMatchObject({ status: 'succeeded', amount: 5_000 });
    expect((await b.events()).map((e) => e.type)).toEqual(['payment_intent.succeeded']);
    expect((await c.events()).map((e) => [e.type, e.amountRefunded])).toEqual([['charge.refunded', 5_000]]);
    expect(await a.events()).toEqual([]);
  });

  it('delivers an event stored by an instance that died before sending it', async () => {
    // The first instance stores the payment and its event, then hangs in delivery (then "dies").
    const dying = sandbox({
      deliver: () => new Promise<void>(() => {}),
      delivery: { claimMs: 50 },
    });
    void dying.provider.createPayment(request(SANDBOX_TEST_CARDS.success));
    await expect.poll(async () => (await outbox()).length).toBe(1);
    open.splice(open.indexOf(dying.provider), 1);
    dying.provider.close();

    const survivor = sandbox();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await survivor.provider.runDueWork();
    expect((await survivor.events()).map((e) => e.type)).toEqual(['payment_intent.succeeded']);
    expect(await outbox()).toMatchObject([{ type: 'payment_intent.succeeded', delivered: true }]);
  });

  it("opens a …0259 card's dispute when due, also after its instance is gone", async () => {
    const gone = sandbox({ disputeDelayMs: 30, now: Date.now });
    const { paymentId } = await gone.provider.createPayment(request(SANDBOX_TEST_CARDS.disputed));
    gone.provider.close(); // its timer with it
    const next = sandbox({ now: Date.now });
    await next.provider.runDueWork();
    expect(await next.events()).toEqual([]); // not due yet
    await new Promise((resolve) => setTimeout(resolve, 40));
    await next.provider.runDueWork();
    expect(await next.events()).toMatchObject([{ type: 'charge.dispute.created', paymentId }]);
    await next.provider.runDueWork();
    expect(await next.events()).toHaveLength(1);
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
    expect(await provider.completeChallenge(pending.paymentId!, true)).toMatchObject({ status: 'canceled' });
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
    const [{ stored }] = await dataSource.query(
      `SELECT (SELECT json_agg(i)::text FROM sandbox_payment_intents i) ||
              (SELECT json_agg(e)::text FROM sandbox_events e) AS stored`,
    );
    expect(stored).toContain('"card_last4":"9995"');
    expect(stored).not.toContain(number);
    expect(stored).not.toContain(SANDBOX_TEST_CARDS.success);
    expect(stored).not.toMatch(new RegExp(`\\b${CVC}\\b`));
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
    expect(await outbox()).toMatchObject([{ attempts: 2, delivered: true }]);
  });
});

describe('the sandbox outbox', () => {
  it('prunes delivered events past the retention, never undelivered or recent ones', async () => {
    const { provider } = sandbox();
    for (let i = 0; i < 3; i++) {
      await provider.createPayment(request(SANDBOX_TEST_CARDS.success, { orderId: `order-prune-${i}` }));
    }
    await provider.whenIdle();
    const events: { id: string }[] = await dataSource.query(`SELECT id FROM sandbox_events ORDER BY id`);
    expect(events.length).toBeGreaterThanOrEqual(3);
    const [old, undelivered] = events;
    await dataSource.query(
      `UPDATE sandbox_events SET delivered_at = now() - interval '31 days' WHERE id = $1`,
      [old!.id],
    );
    await dataSource.query(
      `UPDATE sandbox_events SET delivered_at = NULL, created_at = now() - interval '40 days',
         next_attempt_at = now() + interval '1 hour' WHERE id = $1`,
      [undelivered!.id],
    );
    await provider.runDueWork();
    const left: { id: string }[] = await dataSource.query(`SELECT id FROM sandbox_events ORDER BY id`);
    expect(left.map((e) => e.id)).toEqual(events.map((e) => e.id).filter((id) => id !== old!.id));
  });
});
