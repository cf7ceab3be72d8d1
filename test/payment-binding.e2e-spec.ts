import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PaymentEventsService } from '../libs/settlement/src/index.js';
import { sql, type TestApp } from './support/app.js';
import { chargeRefunded, listedEdition, postEvent, signedEvent } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import type { Client } from './support/http.js';
import type { StripeFaultProxy } from './support/stripe-fault-proxy.js';
import { startStripeShop, type StripeShop } from './support/stripe-app.js';
import type { StripeTestServer } from './support/stripe-test-server.js';

const WEBHOOK_SECRET = `whsec_test_${randomUUID().replaceAll('-', '')}`;
/** Small on purpose: each call to a Stripe that never answers costs this file seconds. */
const STRIPE_TIMEOUT_MS = 500;

// Issue 10, item 1: an event may bind an order that has no payment id yet (Stripe timed out on the
// checkout) only once Stripe confirms the payment is real and is that order's.
describe('binding an order by metadata.order_id is confirmed with Stripe (e2e, local Stripe API)', () => {
  let shop: StripeShop;
  let stripe: StripeTestServer;
  let proxy: StripeFaultProxy;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  const query = (text: string, params: unknown[] = []) => sql(testApp.databaseUrl, text, params);
  const orderRow = async (orderId: string) =>
    (await query(`SELECT * FROM orders WHERE id = $1`, [orderId]))[0];
  const storedEvent = async (eventId: string) =>
    (await query(`SELECT * FROM payment_events WHERE id = $1`, [eventId]))[0];
  const ownerOf = async (tokenId: string) =>
    (await query(`SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id;
  /** A checkout whose call to Stripe timed out: the order is held with no payment id; Stripe charged. */
  const timedOutCheckout = async (priceMinor = 2500) => {
    const { listingId, tokenId } = await listedEdition(api, creator, priceMinor);
    const buyer = await createUser(testApp, api);
    proxy.mode = 'swallow';
    const swallowedBefore = proxy.swallowed.length;
    const response = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}`, paymentMethodId: 'pm_card_visa' },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(503);
    const [order] = await query(`SELECT * FROM orders WHERE buyer_id = $1`, [buyer.id]);
    expect(order).toMatchObject({ status: 'reserved', payment_id: null });
    const paymentId = proxy.swallowed.slice(swallowedBefore)[0].id as string;
    return { orderId: order.id as string, paymentId, tokenId, buyer };
  };
  const succeeded = (intent: Record<string, unknown>) =>
    signedEvent(WEBHOOK_SECRET, 'payment_intent.succeeded', { object: 'payment_intent', ...intent });

  beforeAll(async () => {
    shop = await startStripeShop({
      webhookSecret: WEBHOOK_SECRET,
      timeoutMs: STRIPE_TIMEOUT_MS,
      maxNetworkRetries: 1,
    });
    ({ stripe, proxy, testApp, api, creator } = shop);
  });
  afterEach(() => {
    proxy.mode = 'forward';
  });
  afterAll(() => shop?.close());

  it('a signed success naming a made-up intent and a held order, for its exact amount, does not sell', async () => {
    const { orderId, tokenId } = await timedOutCheckout(2500);
    proxy.mode = 'forward';
    const seen = proxy.requests.length;
    const forgedId = `pi_forged_${randomUUID().replaceAll('-', '')}`;
    const forged = succeeded({
      id: forgedId,
      amount: 2500,
      currency: 'usd',
      status: 'succeeded',
      metadata: { order_id: orderId },
    });

    expect((await postEvent(api, forged)).status).toBe(200);
    expect(await orderRow(orderId)).toMatchObject({ status: 'reserved', payment_id: null });
    expect(await ownerOf(tokenId)).toBe(creator.id);
    expect(await storedEvent(JSON.parse(forged.payload).id)).toMatchObject({
      outcome: 'ignored',
      ignored_reason: 'unconfirmed-payment',
    });
    // Stripe was asked about the payment the event named, and did not know it.
    expect(proxy.requests.slice(seen).map((request) => request.url)).toContain(
      `/v1/payment_intents/${forgedId}`,
    );
  });

  it('a real intent whose amount or order differs from the event does not bind either', async () => {
    const { orderId, paymentId } = await timedOutCheckout(2500);
    const other = await timedOutCheckout(2500);
    proxy.mode = 'forward';
    // Stripe's own intent of this order, but claimed for another order (same price): Stripe says otherwise.
    const elsewhere = succeeded({
      ...stripe.paymentIntent(paymentId),
      metadata: { order_id: other.orderId },
    });
    expect((await postEvent(api, elsewhere)).status).toBe(200);
    expect(await orderRow(other.orderId)).toMatchObject({ status: 'reserved', payment_id: null });
    expect((await storedEvent(JSON.parse(elsewhere.payload).id)).ignored_reason).toBe('unconfirmed-payment');
    expect(await orderRow(orderId)).toMatchObject({ status: 'reserved', payment_id: null });
  });

  it('keeps the event pending while Stripe cannot be reached, and binds once it confirms', async () => {
    const { orderId, paymentId, tokenId, buyer } = await timedOutCheckout(2500);
    const event = succeeded(stripe.paymentIntent(paymentId)!);
    const eventId = JSON.parse(event.payload).id as string;

    // Still unreachable when the webhook comes: acknowledged and stored, not dropped, not applied.
    expect((await postEvent(api, event)).status).toBe(200);
    expect(await storedEvent(eventId)).toMatchObject({ processed_at: null, outcome: null });
    expect(await orderRow(orderId)).toMatchObject({ status: 'reserved', payment_id: null });

    // The retry finds Stripe back, confirms the payment and sells.
    proxy.mode = 'forward';
    expect(await testApp.app.get(PaymentEventsService).processPending(0)).toBe(1);
    expect(await storedEvent(eventId)).toMatchObject({ outcome: 'settled' });
    expect(await orderRow(orderId)).toMatchObject({ status: 'paid', payment_id: paymentId });
    expect(await ownerOf(tokenId)).toBe(buyer.id);
  }, 30_000);

  it('defers a refund that overtakes its payment awaiting confirmation, and applies it after the sale', async () => {
    const { orderId, paymentId, tokenId } = await timedOutCheckout(2500);
    const success = succeeded(stripe.paymentIntent(paymentId)!);
    expect((await postEvent(api, success)).status).toBe(200);
    // Refunded (e.g. from Stripe's dashboard) before we could confirm the payment.
    const refund = chargeRefunded(WEBHOOK_SECRET, { paymentId, orderId, amount: 2500 });
    expect((await postEvent(api, refund)).status).toBe(200);
    const refundId = JSON.parse(refund.payload).id as string;
    // Waits behind the payment (not ignored as matching no order).
    expect(await storedEvent(refundId)).toMatchObject({ processed_at: null, outcome: 'deferred' });

    proxy.mode = 'forward';
    const events = testApp.app.get(PaymentEventsService);
    for (let round = 0; round < 5 && (await events.processPending(0)) > 0; round++);
    expect(await storedEvent(JSON.parse(success.payload).id)).toMatchObject({ outcome: 'settled' });
    expect(await storedEvent(refundId)).toMatchObject({ outcome: 'reverted' });
    expect(await orderRow(orderId)).toMatchObject({ status: 'refunded', payment_id: paymentId });
    expect(await ownerOf(tokenId)).toBe(creator.id);
  }, 30_000);

  it('does not ask Stripe again for events of a payment already on an order', async () => {
    const { listingId } = await listedEdition(api, creator, 1800);
    const buyer = await createUser(testApp, api);
    const paid = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}`, paymentMethodId: 'pm_card_visa' },
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    const seen = proxy.requests.length;
    expect((await postEvent(api, succeeded(stripe.paymentIntent(paid.body.paymentId)!))).status).toBe(200);
    expect(await orderRow(paid.body.orderId)).toMatchObject({ status: 'paid' });
    // Only the card details (best effort, expanded charge); no confirmation read.
    expect(proxy.requests.slice(seen).map((request) => request.url)).toEqual([
      `/v1/payment_intents/${paid.body.paymentId}?expand[0]=latest_charge`,
    ]);
  });
});
