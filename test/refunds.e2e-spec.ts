import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RefundService } from '../libs/settlement/src/index.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import {
  chargeRefunded,
  journalImbalance,
  listedEdition,
  postEvent,
  signedEvent,
} from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { startStripeTestServer, type StripeTestServer } from './support/stripe-test-server.js';

const WEBHOOK_SECRET = `whsec_test_${randomUUID().replaceAll('-', '')}`;
const PRICE = 3000;
// The sale's split at the default fees: processor 2.9 % + 30, platform 5 %, no royalty on a primary sale.
const PROCESSOR_FEE = 117;
const PLATFORM_FEE = 150;
const SELLER = PRICE - PROCESSOR_FEE - PLATFORM_FEE;
const DISPUTE_FEE = 1500;

describe('refunds and disputes (e2e: real app and Stripe SDK against a local Stripe API)', () => {
  let stripe: StripeTestServer;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;

  const query = (text: string, params: unknown[] = []) => sql(testApp.databaseUrl, text, params);
  const order = async (orderId: string) => (await query(`SELECT * FROM orders WHERE id = $1`, [orderId]))[0];
  const ownerOf = async (tokenId: string) =>
    (await query(`SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id;
  const refundRequest = async (orderId: string) =>
    (await query(`SELECT * FROM refund_requests WHERE order_id = $1`, [orderId]))[0];
  /** The order's journal, as `kind account amount` lines (zero lines are never written). */
  const journal = async (orderId: string) =>
    (
      await query(
        `SELECT e.kind, l.account, l.amount_minor, l.currency FROM journal_entries e
         JOIN journal_lines l ON l.entry_id = e.id WHERE e.order_id = $1 ORDER BY e.id, l.account`,
        [orderId],
      )
    ).map((l) => `${l.kind} ${l.account} ${l.amount_minor} ${l.currency}`);
  const entry = async (orderId: string, kind: string) =>
    (await journal(orderId))
      .filter((line) => line.startsWith(`${kind} `))
      .map((l) => l.slice(kind.length + 1));
  const refundedEvent = (paymentId: string, orderId: string, amount: number, amountRefunded: number) =>
    chargeRefunded(WEBHOOK_SECRET, { paymentId, orderId, amount, refunded: amountRefunded });
  const disputeEvent = (type: string, paid: { paymentId: string; orderId: string }, status: string) =>
    signedEvent(WEBHOOK_SECRET, type, {
      id: `dp_${paid.paymentId}`,
      object: 'dispute',
      amount: PRICE,
      currency: 'usd',
      payment_intent: paid.paymentId,
      status,
      metadata: { order_id: paid.orderId },
    });

  /** A buyer's card payment through Stripe; its succeeded webhook says Stripe captured `captured`. */
  const pay = async (captured = PRICE) => {
    const { listingId, tokenId } = await listedEdition(api, creator, PRICE);
    const buyer = await createUser(testApp, api);
    const checkout = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}`, paymentMethodId: 'pm_card_visa' },
    });
    expect(checkout.status).toBe(201);
    const intent = stripe.paymentIntent(checkout.body.paymentId)!;
    const succeeded = signedEvent(WEBHOOK_SECRET, 'payment_intent.succeeded', {
      ...intent,
      amount: captured,
    });
    expect((await postEvent(api, succeeded)).status).toBe(200);
    return {
      orderId: checkout.body.orderId as string,
      paymentId: checkout.body.paymentId as string,
      tokenId,
      buyer,
    };
  };

  beforeAll(async () => {
    stripe = await startStripeTestServer();
    testApp = await startTestApp(
      {
        STRIPE_SECRET_KEY: 'sk_test_heirloom_e2e',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_HOST: stripe.url,
        // One request per attempt: the backoff under test is ours, not the SDK's.
        STRIPE_MAX_NETWORK_RETRIES: '0',
      },
      undefined,
      { jobs: false },
    );
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    stripe.failNext(0);
  });
  afterAll(async () => {
    await testApp?.close();
    await stripe?.close();
  });

  it('retries a refund through a 10-minute Stripe outage with growing backoff, alerts once it is stuck, and completes after', async () => {
    // Stripe captured less than the order's amount: the sale cannot complete, the payment is refunded.
    const paid = await pay(PRICE - 100);
    expect((await order(paid.orderId)).status).toBe('refund_pending');
    expect(await refundRequest(paid.orderId)).toMatchObject({
      amount_minor: String(PRICE - 100),
      status: 'pending',
    });
    const errors = vi.spyOn(Logger.prototype, 'error');
    const refunds = testApp.app.get(RefundService);

    stripe.failNext(10_000, 503);
    const start = Date.now();
    let now = new Date(start);
    const delays: number[] = [];
    while (now.getTime() - start < 10 * 60_000) {
      expect(await refunds.sendPending(now)).toBe(1);
      const request = await refundRequest(paid.orderId);
      const next = new Date(request.next_attempt_at);
      delays.push(next.getTime() - now.getTime());
      // Not due before its time: a run a second early sends nothing.
      expect(await refunds.sendPending(new Date(next.getTime() - 1000))).toBe(0);
      now = next;
    }
    // Exponential (each delay within [half, whole] of 2 s · 2^n), capped at 10 minutes, never given up.
    delays.forEach((delay, i) => {
      const ceiling = Math.min(600_000, 2000 * 2 ** i);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2 - 1);
      expect(delay).toBeLessThanOrEqual(ceiling + 1);
    });
    const stuck = await refundRequest(paid.orderId);
    expect(stuck.status).toBe('pending');
    expect(stuck.attempts).toBe(delays.length);
    expect(stuck.attempts).toBeGreaterThanOrEqual(8);
    expect(stuck.last_error).toMatch(/Injected failure|503|unavailable/i);

    // Alerted once, at the threshold (not at every failure), and listed for operators and auditors.
    const alerts = errors.mock.calls.filter((call) => JSON.stringify(call).includes(paid.orderId));
    expect(alerts).toHaveLength(1);
    expect(String(alerts[0][1])).toMatch(/stuck/);
    const auditor = await createUser(testApp, api, ['auditor']);
    for (const viewer of [operator, auditor]) {
      const view = await api('GET', '/operator/refunds?state=stuck', { token: viewer.token });
      expect(view.status).toBe(200);
      expect(view.body.find((r: { orderId: string }) => r.orderId === paid.orderId)).toEqual({
        orderId: paid.orderId,
        paymentId: paid.paymentId,
        amountMinor: PRICE - 100,
        currency: 'USD',
        reason: 'amount-mismatch',
        status: 'pending',
        attempts: stuck.attempts,
        lastError: stuck.last_error,
        lastAttemptAt: expect.any(String),
        nextAttemptAt: new Date(stuck.next_attempt_at).toISOString(),
        createdAt: expect.any(String),
      });
    }
    expect((await api('GET', '/operator/refunds?state=stuck', { token: paid.buyer.token })).status).toBe(403);
    expect((await api('GET', '/operator/refunds?state=nonsense', { token: operator.token })).status).toBe(
      400,
    );

    // Stripe is back: the next due attempt goes through with the same idempotency key.
    stripe.failNext(0);
    const before = stripe.requests.length;
    expect(await refunds.sendPending(now)).toBe(1);
    expect(stripe.requests.slice(before)).toMatchObject([
      {
        path: '/v1/refunds',
        idempotencyKey: `order:${paid.orderId}:refund`,
        body: { amount: String(PRICE - 100) },
      },
    ]);
    expect((await refundRequest(paid.orderId)).status).toBe('sent');
    // Stripe's charge.refunded (of the payment's amount, not the order's) completes it.
    expect(
      (await postEvent(api, refundedEvent(paid.paymentId, paid.orderId, PRICE - 100, PRICE - 100))).status,
    ).toBe(200);
    expect((await order(paid.orderId)).status).toBe('refunded');
    const listed = await api('GET', '/operator/refunds?state=stuck', { token: operator.token });
    expect(listed.body.map((r: { orderId: string }) => r.orderId)).not.toContain(paid.orderId);
    // Captured 2900 (Stripe kept its fee, 2.9 % + 30 = 114), owed it back, refunded it.
    expect(await journal(paid.orderId)).toEqual([
      'payment-to-refund asset:processor-clearing 2900 USD',
      'payment-to-refund expense:processor-fees-absorbed 114 USD',
      'payment-to-refund liability:processor-fees -114 USD',
      'payment-to-refund liability:refunds-owed -2900 USD',
      'refund:2900 asset:processor-clearing -2900 USD',
      'refund:2900 liability:refunds-owed 2900 USD',
    ]);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('lists a refund Stripe refuses for good at once, with an error logged, and never retries it', async () => {
    const paid = await pay(PRICE - 100);
    const errors = vi.spyOn(Logger.prototype, 'error');
    // Stripe already refunded more than is left, e.g. by hand in its dashboard: the amount is too large.
    await query(`UPDATE refund_requests SET amount_minor = $2 WHERE order_id = $1`, [
      paid.orderId,
      PRICE + 1,
    ]);
    expect(await testApp.app.get(RefundService).sendPending()).toBe(1);
    const request = await refundRequest(paid.orderId);
    expect(request).toMatchObject({ status: 'rejected', attempts: 1 });
    expect(errors.mock.calls.some((call) => JSON.stringify(call).includes(paid.orderId))).toBe(true);
    const view = await api('GET', '/operator/refunds', { token: operator.token });
    expect(view.body.find((r: { orderId: string }) => r.orderId === paid.orderId)).toMatchObject({
      status: 'rejected',
      nextAttemptAt: null,
      lastError: expect.any(String),
    });
    const before = stripe.requests.length;
    await testApp.app.get(RefundService).sendPending(new Date(Date.now() + 86_400_000));
    expect(stripe.requests.slice(before).filter((r) => r.path === '/v1/refunds')).toEqual([]);
  });

  it('keeps retrying a cancel owed for a lapsed hold, lists it for operators once stuck, and sends it when Stripe is back', async () => {
    const { listingId } = await listedEdition(api, creator, PRICE);
    const buyer = await createUser(testApp, api);
    const pending = await api('POST', '/checkout', {
      token: buyer.token,
      body: {
        listingId,
        idempotencyKey: `co-${randomUUID()}`,
        paymentMethodId: 'pm_card_threeDSecure2Required',
      },
    });
    expect(pending.body).toMatchObject({ status: 'requires_action' });
    const { orderId, paymentId } = pending.body;
    // As if its hold had lapsed and nine cancels had failed already.
    await query(`INSERT INTO payment_cancels (payment_id, order_id, attempts) VALUES ($1, $2, 9)`, [
      paymentId,
      orderId,
    ]);
    // Cancels owed by earlier tests here may fall due meanwhile; they must not take the injected failure.
    await query(
      `UPDATE payment_cancels SET next_attempt_at = now() + interval '1 day' WHERE status = 'owed' AND payment_id <> $1`,
      [paymentId],
    );
    const errors = vi.spyOn(Logger.prototype, 'error');
    const refunds = testApp.app.get(RefundService);
    stripe.failNext(1, 503);
    expect(await refunds.cancelPayments()).toBe(1);
    expect(errors.mock.calls.some((call) => JSON.stringify(call).includes('payment cancel stuck'))).toBe(
      true,
    );
    const listed = await api('GET', '/operator/payment-cancels', { token: operator.token });
    expect(listed.status).toBe(200);
    expect(listed.body.find((c: { paymentId: string }) => c.paymentId === paymentId)).toMatchObject({
      orderId,
      attempts: 10,
      lastError: expect.stringContaining('Stripe unavailable'),
    });
    expect((await api('GET', '/operator/payment-cancels', { token: buyer.token })).status).toBe(403);

    await query(`UPDATE payment_cancels SET next_attempt_at = now() WHERE payment_id = $1`, [paymentId]);
    expect(await refunds.cancelPayments()).toBe(1);
    expect(stripe.paymentIntent(paymentId)).toMatchObject({ status: 'canceled' });
    const after = await api('GET', '/operator/payment-cancels', { token: operator.token });
    expect(after.body.map((c: { paymentId: string }) => c.paymentId)).not.toContain(paymentId);
  });

  it('books a partial refund pro rata as what it is, leaves the token with the buyer, and reverts only on the full refund', async () => {
    const paid = await pay();
    expect((await order(paid.orderId)).status).toBe('paid');
    const partial = refundedEvent(paid.paymentId, paid.orderId, PRICE, 1000);
    expect((await postEvent(api, partial)).status).toBe(200);
    expect((await order(paid.orderId)).status).toBe('paid');
    expect(await ownerOf(paid.tokenId)).toBe(paid.buyer.id);
    // A third of the sale reversed; Stripe keeps its fee, so the platform absorbs that third of it.
    expect(await entry(paid.orderId, 'refund:1000')).toEqual([
      'asset:processor-clearing -1000 USD',
      'expense:processor-fees-absorbed 39 USD',
      `liability:payable:${creator.id} 911 USD`,
      'revenue:platform-fees 50 USD',
    ]);
    // A replay (and an overtaken smaller total) books nothing more.
    expect((await postEvent(api, partial)).status).toBe(200);
    expect((await postEvent(api, refundedEvent(paid.paymentId, paid.orderId, PRICE, 500))).status).toBe(200);
    expect((await journal(paid.orderId)).filter((l) => l.startsWith('refund:'))).toHaveLength(4);

    expect((await postEvent(api, refundedEvent(paid.paymentId, paid.orderId, PRICE, PRICE))).status).toBe(
      200,
    );
    expect((await order(paid.orderId)).status).toBe('refunded');
    expect(await ownerOf(paid.tokenId)).toBe(creator.id);
    expect(await entry(paid.orderId, `refund:${PRICE}`)).toEqual([
      'asset:processor-clearing -2000 USD',
      'expense:processor-fees-absorbed 78 USD',
      `liability:payable:${creator.id} ${SELLER - 911} USD`,
      'revenue:platform-fees 100 USD',
    ]);
    // Net: the whole sale reversed except the processor's fee, which it still holds and we absorbed.
    expect(await balances(paid.orderId)).toEqual({
      'asset:processor-clearing': 0,
      'expense:processor-fees-absorbed': PROCESSOR_FEE,
      'liability:processor-fees': -PROCESSOR_FEE,
      [`liability:payable:${creator.id}`]: 0,
      'revenue:platform-fees': 0,
    });
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('debits the disputed amount and the dispute fee when a dispute opens, credits the amount back when won', async () => {
    const paid = await pay();
    expect(
      (await postEvent(api, disputeEvent('charge.dispute.created', paid, 'needs_response'))).status,
    ).toBe(200);
    expect((await order(paid.orderId)).status).toBe('disputed');
    expect(await entry(paid.orderId, 'dispute-opened')).toEqual([
      `asset:processor-clearing -${PRICE + DISPUTE_FEE} USD`,
      `expense:dispute-fees ${DISPUTE_FEE} USD`,
      `expense:processor-fees-absorbed ${PROCESSOR_FEE} USD`,
      `liability:payable:${creator.id} ${SELLER} USD`,
      `revenue:platform-fees ${PLATFORM_FEE} USD`,
    ]);
    expect((await postEvent(api, disputeEvent('charge.dispute.closed', paid, 'won'))).status).toBe(200);
    expect((await order(paid.orderId)).status).toBe('paid');
    expect(await ownerOf(paid.tokenId)).toBe(paid.buyer.id);
    // The amount comes back and the sale stands again; the dispute fee stays lost.
    expect(await balances(paid.orderId)).toEqual({
      'asset:processor-clearing': PRICE - DISPUTE_FEE,
      'expense:dispute-fees': DISPUTE_FEE,
      'expense:processor-fees-absorbed': 0,
      'liability:processor-fees': -PROCESSOR_FEE,
      [`liability:payable:${creator.id}`]: -SELLER,
      'revenue:platform-fees': -PLATFORM_FEE,
    });
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('moves no more money when a dispute is lost: only ownership reverts', async () => {
    const paid = await pay();
    await postEvent(api, disputeEvent('charge.dispute.created', paid, 'needs_response'));
    const opened = await journal(paid.orderId);
    expect((await postEvent(api, disputeEvent('charge.dispute.closed', paid, 'lost'))).status).toBe(200);
    expect((await order(paid.orderId)).status).toBe('refunded');
    expect(await ownerOf(paid.tokenId)).toBe(creator.id);
    expect(await journal(paid.orderId)).toEqual(opened);
    expect((await balances(paid.orderId))['asset:processor-clearing']).toBe(-DISPUTE_FEE);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  /** The order's net per account across all its journal entries. */
  async function balances(orderId: string): Promise<Record<string, number>> {
    const rows = await query(
      `SELECT l.account, sum(l.amount_minor)::int AS net FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
       WHERE e.order_id = $1 GROUP BY l.account ORDER BY l.account`,
      [orderId],
    );
    return Object.fromEntries(rows.map((r) => [r.account, r.net]));
  }
});
