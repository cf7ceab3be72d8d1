import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckoutService } from '../libs/checkout/src/index.js';
import { RefundService } from '../libs/settlement/src/index.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import {
  cardCheckout,
  chargeRefunded,
  journalImbalance,
  listedEdition,
  paidOrderCount,
  postEvent,
  signedEvent,
} from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type ApiResponse, type Client } from './support/http.js';
import { startStripeTestServer, type StripeTestServer } from './support/stripe-test-server.js';

const PROBLEM = 'https://heirloom.dev/problems/';
const WEBHOOK_SECRET = `whsec_test_${randomUUID().replaceAll('-', '')}`;

describe('checkout in Stripe mode (e2e: real app and Stripe SDK against a local Stripe API)', () => {
  let stripe: StripeTestServer;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  const newListing = (priceMinor = 2500) => listedEdition(api, creator, priceMinor);
  const stripeCheckout = (
    buyer: TestUser,
    listingId: string,
    paymentMethodId: string,
    extra: Record<string, unknown> = {},
  ) =>
    api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}`, paymentMethodId, ...extra },
    });
  /** Stripe's own webhook for the intent as the (fake) Stripe API now holds it, signed with the SDK. */
  const intentWebhook = (type: string, paymentIntentId: string) => {
    const intent = stripe.paymentIntent(paymentIntentId);
    if (!intent) throw new Error(`no intent ${paymentIntentId}`);
    return postEvent(api, signedEvent(WEBHOOK_SECRET, type, intent));
  };
  const order = async (orderId: string) =>
    (await sql(testApp.databaseUrl, `SELECT * FROM orders WHERE id = $1`, [orderId]))[0];
  const ownerOf = async (tokenId: string) =>
    (await sql(testApp.databaseUrl, `SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id;
  /** Runs `work` and returns the Stripe API requests it caused. */
  const stripeRequestsDuring = async (work: () => Promise<unknown>) => {
    const before = stripe.requests.length;
    await work();
    return stripe.requests.slice(before);
  };

  beforeAll(async () => {
    stripe = await startStripeTestServer();
    // Background jobs would cancel expired payments and send refunds on their own timers; this file
    // runs those steps itself, so each test sees exactly the Stripe calls it caused.
    testApp = await startTestApp(
      {
        STRIPE_SECRET_KEY: 'sk_test_heirloom_e2e',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_HOST: stripe.url,
      },
      undefined,
      { jobs: false },
    );
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(async () => {
    await testApp?.close();
    await stripe?.close();
  });

  it('confirms pm_card_visa with Stripe, records the payment id, and settles on the signed webhook', async () => {
    const { listingId, tokenId } = await newListing(2500);
    const buyer = await createUser(testApp, api);
    let response!: Awaited<ReturnType<typeof stripeCheckout>>;
    const calls = await stripeRequestsDuring(async () => {
      response = await stripeCheckout(buyer, listingId, 'pm_card_visa');
    });
    expect(response.status).toBe(201);
    const { orderId, paymentId } = response.body;
    expect(paymentId).toMatch(/^pi_/);
    // Stripe answered `succeeded`, but the sale completes only from the verified webhook.
    expect(response.body).toMatchObject({
      status: 'reserved',
      paymentId,
      amountMinor: 2500,
      currency: 'USD',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/v1/payment_intents',
      idempotencyKey: `order:${orderId}:pay`,
      body: {
        amount: '2500',
        currency: 'usd',
        confirm: 'true',
        payment_method: 'pm_card_visa',
        metadata: { order_id: orderId },
      },
    });
    expect(stripe.paymentIntent(paymentId)).toMatchObject({ status: 'succeeded' });
    expect(await order(orderId)).toMatchObject({ status: 'reserved', payment_id: paymentId });
    expect(await ownerOf(tokenId)).toBe(creator.id);

    const delivered = await intentWebhook('payment_intent.succeeded', paymentId);
    expect(delivered.status).toBe(200);
    expect(delivered.body).toEqual({ received: true, duplicate: false });
    expect(await order(orderId)).toMatchObject({ status: 'paid', payment_id: paymentId });
    expect(await ownerOf(tokenId)).toBe(buyer.id);
    const view = await api('GET', `/orders/${orderId}`, { token: buyer.token });
    expect(view.body).toMatchObject({ status: 'paid', paymentId });

    // Stripe retries webhooks: a second delivery changes nothing.
    expect((await intentWebhook('payment_intent.succeeded', paymentId)).status).toBe(200);
    const sales = await sql(testApp.databaseUrl, `SELECT count(*) FROM journal_entries WHERE order_id = $1`, [
      orderId,
    ]);
    expect(sales[0].count).toBe('1');
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('refuses a webhook that is not signed with the endpoint secret', async () => {
    const { listingId } = await newListing();
    const buyer = await createUser(testApp, api);
    const { body } = await stripeCheckout(buyer, listingId, 'pm_card_visa');
    const intent = stripe.paymentIntent(body.paymentId)!;
    const forged = await postEvent(api, signedEvent('whsec_not_ours', 'payment_intent.succeeded', intent));
    expect(forged.status).toBe(400);
    expect(forged.body.type).toBe(PROBLEM + 'invalid-webhook');
    expect((await order(body.orderId)).status).toBe('reserved');
  });

  it('fails a declined payment method and releases the edition', async () => {
    const { listingId, tokenId } = await newListing();
    const buyer = await createUser(testApp, api);
    const declined = await stripeCheckout(buyer, listingId, 'pm_card_chargeDeclined');
    expect(declined.status).toBe(201);
    expect(declined.body).toMatchObject({ status: 'failed', declineCode: 'card_declined' });
    expect(declined.body.paymentId).toMatch(/^pi_/);
    expect(stripe.paymentIntent(declined.body.paymentId)).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'card_declined', decline_code: 'generic_decline' },
    });
    expect(await ownerOf(tokenId)).toBe(creator.id);

    // The edition is free again: the next buyer gets it.
    const next = await stripeCheckout(await createUser(testApp, api), listingId, 'pm_card_visa');
    expect(next.body.status).toBe('reserved');
    await intentWebhook('payment_intent.succeeded', next.body.paymentId);
    expect((await order(next.body.orderId)).status).toBe('paid');
  });

  it('surfaces the 3-D Secure redirect, and settles once the buyer passed it', async () => {
    const { listingId, tokenId } = await newListing();
    const buyer = await createUser(testApp, api);
    const returnUrl = 'https://shop.example/checkout/return';
    const pending = await stripeCheckout(buyer, listingId, 'pm_card_threeDSecure2Required', { returnUrl });
    expect(pending.status).toBe(201);
    const paymentId = pending.body.paymentId;
    expect(pending.body).toMatchObject({
      status: 'requires_action',
      nextAction: {
        type: 'redirect_to_url',
        url: `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${paymentId}`,
        clientSecret: expect.stringMatching(new RegExp(`^${paymentId}_secret_`)),
      },
    });
    expect(stripe.requests.at(-1)).toMatchObject({
      path: '/v1/payment_intents',
      body: { return_url: returnUrl, automatic_payment_methods: { allow_redirects: 'always' } },
    });
    expect((await order(pending.body.orderId)).status).toBe('requires_action');

    stripe.completeThreeDSecure(paymentId, true);
    await intentWebhook('payment_intent.succeeded', paymentId);
    expect((await order(pending.body.orderId)).status).toBe('paid');
    expect(await ownerOf(tokenId)).toBe(buyer.id);
  });

  it('refuses raw card numbers in Stripe mode and calls Stripe for nothing', async () => {
    const { listingId } = await newListing();
    const buyer = await createUser(testApp, api);
    let response!: ApiResponse;
    const calls = await stripeRequestsDuring(async () => {
      response = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.type).toBe(PROBLEM + 'card-data-refused');
    expect(calls).toEqual([]);
    const orders = await sql(testApp.databaseUrl, `SELECT count(*) FROM orders WHERE buyer_id = $1`, [
      buyer.id,
    ]);
    expect(orders[0].count).toBe('0');
  });

  it('refunds through Stripe, with an idempotency key, a payment that succeeds after its edition was sold', async () => {
    const { listingId, tokenId } = await newListing(3000);
    const slow = await createUser(testApp, api);
    const pending = await stripeCheckout(slow, listingId, 'pm_card_threeDSecure2Required', {
      returnUrl: 'https://shop.example/return',
    });
    expect(pending.body.status).toBe('requires_action');
    // The reservation runs out while the slow buyer is still at the bank's page.
    for (const table of ['orders', 'listings']) {
      await sql(
        testApp.databaseUrl,
        `UPDATE ${table} SET reserved_until = now() - interval '1 second' WHERE ${table === 'orders' ? 'id' : 'reserved_order'} = $1`,
        [pending.body.orderId],
      );
    }
    await testApp.app.get(CheckoutService).expireReservations();
    expect((await order(pending.body.orderId)).status).toBe('expired');

    const fast = await createUser(testApp, api);
    const sold = await stripeCheckout(fast, listingId, 'pm_card_visa');
    await intentWebhook('payment_intent.succeeded', sold.body.paymentId);
    expect((await order(sold.body.orderId)).status).toBe('paid');

    // Now the slow buyer passes 3-D Secure: Stripe captures, and its webhook arrives.
    stripe.completeThreeDSecure(pending.body.paymentId, true);
    await intentWebhook('payment_intent.succeeded', pending.body.paymentId);
    expect((await order(pending.body.orderId)).status).toBe('refund_pending');

    const calls = await stripeRequestsDuring(() => testApp.app.get(RefundService).sendPending());
    expect(calls).toEqual([
      {
        method: 'POST',
        path: '/v1/refunds',
        idempotencyKey: `order:${pending.body.orderId}:refund`,
        body: { payment_intent: pending.body.paymentId, amount: '3000', reason: 'requested_by_customer' },
      },
    ]);
    // A second run sends nothing more: the request is marked sent.
    expect(await stripeRequestsDuring(() => testApp.app.get(RefundService).sendPending())).toEqual([]);

    // Stripe confirms with charge.refunded; the order is closed and the money journal balances.
    const refunded = chargeRefunded(WEBHOOK_SECRET, {
      ...pending.body,
      amount: 3000,
      chargeId: 'ch_refunded',
    });
    expect((await postEvent(api, refunded)).status).toBe(200);
    expect((await order(pending.body.orderId)).status).toBe('refunded');
    expect(await ownerOf(tokenId)).toBe(fast.id);
    expect(await paidOrderCount(testApp.databaseUrl, listingId)).toBe(1);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('sent an Idempotency-Key with every request the Stripe SDK made', () => {
    expect(stripe.requests.length).toBeGreaterThan(0);
    const withoutKey = stripe.requests.filter((r) => !r.idempotencyKey);
    expect(withoutKey).toEqual([]);
    const keys = stripe.requests.filter((r) => r.method === 'POST').map((r) => r.idempotencyKey);
    // One key per logical call: no two different calls shared a key.
    const distinctBodies = new Map<string, string>();
    for (const r of stripe.requests.filter((r) => r.method === 'POST')) {
      const body = JSON.stringify([r.path, r.body]);
      expect(distinctBodies.get(r.idempotencyKey!) ?? body).toBe(body);
      distinctBodies.set(r.idempotencyKey!, body);
    }
    expect(keys.length).toBeGreaterThan(0);
  });
});
