import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from './support/app.js';
import { listedEdition, postEvent, signedEvent } from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type ApiResponse, type Client } from './support/http.js';
import type { StripeFaultProxy } from './support/stripe-fault-proxy.js';
import { startStripeShop, type StripeShop } from './support/stripe-app.js';
import type { StripeTestServer } from './support/stripe-test-server.js';

const PROBLEM = 'https://heirloom.dev/problems/';
const WEBHOOK_SECRET = `whsec_test_${randomUUID().replaceAll('-', '')}`;
/** Small on purpose, so that a Stripe that never answers costs this file seconds, not minutes. */
const STRIPE_TIMEOUT_MS = 1000;

function expectProblem(response: ApiResponse, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.body.type).toBe(PROBLEM + code);
}

/** Minimum charges (item 7): checked when the price is set, the same way on either rail. */
function priceMinimumTests(context: () => { api: Client; creator: TestUser; testApp: TestApp }) {
  const mint = async (editions = 1) => {
    const { api, creator } = context();
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, editions);
    return { collectionId: collection.id, tokenIds };
  };
  const list = (tokenId: string, priceMinor: number, currency = 'USD') => {
    const { api, creator } = context();
    return api('POST', '/listings', { token: creator.token, body: { tokenId, priceMinor, currency } });
  };
  const drop = (collectionId: string, priceMinor: number, currency: string) => {
    const { api, creator } = context();
    return api('POST', '/drops', {
      token: creator.token,
      body: { collectionId, priceMinor, currency, startsAt: new Date().toISOString() },
    });
  };

  it('refuses a 1-minor-unit listing and accepts one at the minimum charge', async () => {
    const { tokenIds } = await mint();
    const refused = await list(tokenIds[0], 1);
    expectProblem(refused, 422, 'price-below-minimum');
    expect(refused.body.detail).toContain('0.50 USD');
    expect(refused.body).toMatchObject({ minimumPriceMinor: 50, currency: 'USD' });
    expectProblem(await list(tokenIds[0], 49), 422, 'price-below-minimum');
    expectProblem(await list(tokenIds[0], 29, 'GBP'), 422, 'price-below-minimum');

    const accepted = await list(tokenIds[0], 50);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    expect(accepted.body).toMatchObject({ priceMinor: 50, currency: 'USD' });
  });

  it('refuses a drop below the minimum in its currency and accepts one at it', async () => {
    const { collectionId } = await mint(2);
    const refused = await drop(collectionId, 1, 'JPY');
    expectProblem(refused, 422, 'price-below-minimum');
    expect(refused.body.detail).toContain('50 JPY');
    expectProblem(await drop(collectionId, 399, 'HKD'), 422, 'price-below-minimum');

    const accepted = await drop(collectionId, 50, 'JPY');
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    expect(accepted.body).toMatchObject({ priceMinor: 50, currency: 'JPY', editions: 2 });
  });

  it('refuses to reserve an older listing priced below the minimum, holding nothing', async () => {
    const { api, testApp } = context();
    const { tokenIds } = await mint();
    const { listingId } = (await list(tokenIds[0], 50)).body as { listingId: string };
    // As a listing created before prices were checked would be.
    const db = testApp.app.get(DataSource);
    await db.query(`UPDATE listings SET price_minor = 1 WHERE id = $1`, [listingId]);
    const buyer = await createUser(testApp, api);
    const refused = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}` },
    });
    expectProblem(refused, 409, 'price-below-minimum');
    expect(refused.body).toMatchObject({ minimumPriceMinor: 50, currency: 'USD' });
    const [listing] = await db.query(`SELECT status, reserved_order FROM listings WHERE id = $1`, [
      listingId,
    ]);
    expect(listing).toEqual({ status: 'active', reserved_order: null });
    expect(await db.query(`SELECT id FROM orders WHERE listing_id = $1`, [listingId])).toEqual([]);
  });
}

describe('Stripe hardening (e2e: real app and Stripe SDK against a local Stripe API)', () => {
  let shop: StripeShop;
  let stripe: StripeTestServer;
  let proxy: StripeFaultProxy;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  const checkout = (buyer: TestUser, listingId: string, paymentMethodId: string) =>
    api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}`, paymentMethodId },
    });
  /** Stripe's webhook for the intent as the (local) Stripe API holds it: its charge is not expanded. */
  const intentSucceeded = (paymentIntentId: string) => {
    const intent = stripe.paymentIntent(paymentIntentId);
    if (!intent) throw new Error(`no intent ${paymentIntentId}`);
    return postEvent(api, signedEvent(WEBHOOK_SECRET, 'payment_intent.succeeded', intent));
  };
  const ordersOf = (buyer: TestUser) =>
    sql(testApp.databaseUrl, `SELECT * FROM orders WHERE buyer_id = $1`, [buyer.id]);
  const listing = async (listingId: string) =>
    (await sql(testApp.databaseUrl, `SELECT * FROM listings WHERE id = $1`, [listingId]))[0];
  const ownerOf = async (tokenId: string) =>
    (await sql(testApp.databaseUrl, `SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id;

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

  describe('minimum charge per currency', () => {
    priceMinimumTests(() => ({ api, creator, testApp }));

    it('lets a buyer pay a listing at the minimum through Stripe', async () => {
      const { listingId, tokenId } = await listedEdition(api, creator, 50);
      const buyer = await createUser(testApp, api);
      const paid = await checkout(buyer, listingId, 'pm_card_visa');
      expect(paid.status, JSON.stringify(paid.body)).toBe(201);
      expect(stripe.paymentIntent(paid.body.paymentId)).toMatchObject({ amount: 50, currency: 'usd' });
      await intentSucceeded(paid.body.paymentId);
      expect(await ownerOf(tokenId)).toBe(buyer.id);
    });
  });

  it('answers 503 within seconds when Stripe never answers, and the held order settles on the webhook', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    // Stripe gets the request and charges the card; its answer is lost on the way back.
    proxy.mode = 'swallow';
    const seen = proxy.requests.length;
    const started = Date.now();
    const response = await checkout(buyer, listingId, 'pm_card_visa');
    const elapsed = Date.now() - started;

    expectProblem(response, 503, 'payment-provider-unavailable');
    // One attempt and one retry of STRIPE_TIMEOUT_MS each (plus the SDK's 0.5 s backoff), then the answer.
    expect(elapsed).toBeGreaterThanOrEqual(2 * STRIPE_TIMEOUT_MS);
    expect(elapsed).toBeLessThan(6_000);
    const [order] = await ordersOf(buyer);
    const key = `order:${order.id}:pay`;
    expect(proxy.requests.slice(seen).map((r) => [r.method, r.url, r.idempotencyKey])).toEqual([
      ['POST', '/v1/payment_intents', key],
      ['POST', '/v1/payment_intents', key],
    ]);

    // The edition stays held for this order, and the retry replayed Stripe's one payment.
    expect(order.status).toBe('reserved');
    expect(await listing(listingId)).toMatchObject({ status: 'active', reserved_order: order.id });
    const paymentIds = new Set(proxy.swallowed.map((reply) => reply.id));
    expect(paymentIds.size).toBe(1);
    const [paymentId] = [...paymentIds] as string[];
    expect(stripe.paymentIntent(paymentId)).toMatchObject({
      status: 'succeeded',
      metadata: { order_id: order.id },
    });

    // Stripe's webhook recovers the sale.
    proxy.mode = 'forward';
    expect((await intentSucceeded(paymentId)).status).toBe(200);
    const view = await api('GET', `/orders/${order.id}`, { token: buyer.token });
    expect(view.body).toMatchObject({ status: 'paid', paymentId, card: { brand: 'visa', last4: '4242' } });
    expect(await ownerOf(tokenId)).toBe(buyer.id);
  });

  it.each([
    ['pm_card_mastercard', 'mastercard', '4444'],
    ['pm_card_visa', 'visa', '4242'],
  ])('records the card brand and last four of a Stripe payment (%s)', async (method, brand, last4) => {
    const { listingId } = await listedEdition(api, creator, 1800);
    const buyer = await createUser(testApp, api);
    const { body } = await checkout(buyer, listingId, method);
    expect(body.card).toBeNull();

    expect((await intentSucceeded(body.paymentId)).status).toBe(200);
    const view = await api('GET', `/orders/${body.orderId}`, { token: buyer.token });
    expect(view.body).toMatchObject({ status: 'paid', card: { brand, last4 } });
    expect(proxy.requests.at(-1)).toMatchObject({
      method: 'GET',
      url: `/v1/payment_intents/${body.paymentId}?expand[0]=latest_charge`,
    });
  });
});

describe('minimum charge per currency on the sandbox rail (e2e)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp({}, undefined, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(() => testApp?.close());

  priceMinimumTests(() => ({ api, creator, testApp }));
});
