import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { startApiProcess, type ApiProcess } from './support/api-process.js';
import { CARDS, cardCheckout, listedEdition, postEvent, signedEvent } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type ApiResponse, type Client } from './support/http.js';
import type { StripeFaultProxy } from './support/stripe-fault-proxy.js';
import { startStripeShop, type StripeShop } from './support/stripe-app.js';
import { startStripeTestServer, type StripeTestServer } from './support/stripe-test-server.js';

// Issue 10, items 5, 6, 11 and 12: a checkout the client can always finish (or that is cleanly
// undone), whatever failed on the way.

const PROBLEM = 'https://heirloom.dev/problems/';
const WEBHOOK_SECRET = `whsec_test_${randomUUID().replaceAll('-', '')}`;
const RETURN_URL = 'https://shop.example/return';

function expectProblem(response: ApiResponse, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.body.type).toBe(PROBLEM + code);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('checkout flow on Stripe (e2e: real app and Stripe SDK against a local Stripe API)', () => {
  let shop: StripeShop;
  let stripe: StripeTestServer;
  let proxy: StripeFaultProxy;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  const order = async (orderId: string) =>
    (await sql(testApp.databaseUrl, `SELECT * FROM orders WHERE id = $1`, [orderId]))[0];
  const ordersOf = (buyer: TestUser) =>
    sql(testApp.databaseUrl, `SELECT * FROM orders WHERE buyer_id = $1`, [buyer.id]);
  const ownerOf = async (tokenId: string) =>
    (await sql(testApp.databaseUrl, `SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id;
  const intentsFor = (orderId: string) =>
    stripe.requests.filter(
      (r) =>
        r.method === 'POST' &&
        r.path === '/v1/payment_intents' &&
        r.idempotencyKey === `order:${orderId}:pay`,
    );
  const intentSucceeded = (paymentIntentId: string) =>
    postEvent(
      api,
      signedEvent(WEBHOOK_SECRET, 'payment_intent.succeeded', stripe.paymentIntent(paymentIntentId)!),
    );

  beforeAll(async () => {
    shop = await startStripeShop({
      webhookSecret: WEBHOOK_SECRET,
      timeoutMs: 1000,
      maxNetworkRetries: 0,
    });
    ({ stripe, proxy, testApp, api, creator } = shop);
  });
  afterEach(() => {
    proxy.mode = 'forward';
  });
  afterAll(() => shop?.close());

  it('a 503 after Stripe charged names the held order, and POST /orders/:id/pay with the same details finishes it', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    proxy.mode = 'swallow'; // Stripe charges the card; its answer is lost
    const failed = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}`, paymentMethodId: 'pm_card_visa' },
    });
    proxy.mode = 'forward';

    expectProblem(failed, 503, 'payment-provider-unavailable');
    const [held] = await ordersOf(buyer);
    expect(failed.body).toMatchObject({
      orderId: held.id,
      payUrl: `/orders/${held.id}/pay`,
      reservedUntil: new Date(held.reserved_until).toISOString(),
    });
    expect(failed.body.detail).toContain(`POST /orders/${held.id}/pay`);
    expect((await api('GET', `/orders/${held.id}`, { token: buyer.token })).body).toMatchObject({
      status: 'reserved',
      paymentId: null,
      nextStep: 'pay',
      payUrl: `/orders/${held.id}/pay`,
    });

    const paid = await api('POST', failed.body.payUrl, {
      token: buyer.token,
      body: { paymentMethodId: 'pm_card_visa' },
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    // The same payment, replayed by Stripe under the order's key: the card was charged once.
    expect(intentsFor(held.id)).toHaveLength(2);
    expect(stripe.paymentIntent(paid.body.paymentId)).toMatchObject({ status: 'succeeded', amount: 2500 });
    expect(paid.body).toMatchObject({ orderId: held.id, status: 'reserved', nextStep: 'wait' });
    expect(paid.body.payUrl).toBeUndefined();
    await intentSucceeded(paid.body.paymentId);
    expect((await order(held.id)).status).toBe('paid');
    expect(await ownerOf(tokenId)).toBe(buyer.id);
  });

  it('a checkout retried with the same key and payment details after a 503 pays the held order', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const body = { listingId, idempotencyKey: `co-${randomUUID()}`, paymentMethodId: 'pm_card_visa' };
    stripe.failNext(1, 500); // Stripe is down: nothing is charged
    const failed = await api('POST', '/checkout', { token: buyer.token, body });
    expectProblem(failed, 503, 'payment-provider-unavailable');
    expect(stripe.paymentIntent((await order(failed.body.orderId)).payment_id ?? 'none')).toBeUndefined();

    const retried = await api('POST', '/checkout', { token: buyer.token, body });
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(retried.body).toMatchObject({ orderId: failed.body.orderId, nextStep: 'wait' });
    expect(stripe.paymentIntent(retried.body.paymentId)).toMatchObject({ status: 'succeeded' });
    await intentSucceeded(retried.body.paymentId);
    expect(await ownerOf(tokenId)).toBe(buyer.id);
  });

  it('reserve-then-pay: the client secret is given again by GET /orders/:id, and /pay confirms the intent with the payment method', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const reserved = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}` },
    });
    expect(reserved.status, JSON.stringify(reserved.body)).toBe(201);
    const { orderId, paymentId } = reserved.body;
    const clientSecret = stripe.paymentIntent(paymentId)!.client_secret;
    expect(reserved.body).toMatchObject({
      status: 'requires_action',
      nextStep: 'authenticate',
      nextAction: { type: 'use_stripe_sdk', clientSecret },
    });

    // A reloaded page: the buyer reads the order and gets the client secret again, from Stripe.
    const seen = stripe.requests.length;
    const again = await api('GET', `/orders/${orderId}`, { token: buyer.token });
    expect(again.body).toMatchObject({ nextStep: 'authenticate', nextAction: { clientSecret } });
    expect(stripe.requests.slice(seen).map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /v1/payment_intents/${paymentId}`,
    ]);
    // Only the buyer gets it.
    const operator = await createUser(testApp, api, ['operator']);
    const asOperator = await api('GET', `/orders/${orderId}`, { token: operator.token });
    expect(asOperator.status).toBe(200);
    expect(asOperator.body.nextAction).toBeUndefined();
    const stranger = await createUser(testApp, api);
    expect((await api('GET', `/orders/${orderId}`, { token: stranger.token })).status).toBe(404);
    // POST /pay without a payment method answers the same.
    const payAgain = await api('POST', `/orders/${orderId}/pay`, { token: buyer.token, body: {} });
    expect(payAgain.body).toMatchObject({ nextAction: { clientSecret } });

    // Server-side confirmation with a 3-D Secure card: the intent made at checkout, not a new one.
    const confirmed = await api('POST', `/orders/${orderId}/pay`, {
      token: buyer.token,
      body: { paymentMethodId: 'pm_card_threeDSecure2Required', returnUrl: RETURN_URL },
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body).toMatchObject({
      paymentId,
      status: 'requires_action',
      nextStep: 'authenticate',
      nextAction: { type: 'redirect_to_url', clientSecret },
    });
    expect(confirmed.body.nextAction.url).toContain(paymentId);
    expect(stripe.requests.at(-1)).toMatchObject({
      path: `/v1/payment_intents/${paymentId}/confirm`,
      body: { payment_method: 'pm_card_threeDSecure2Required', return_url: RETURN_URL },
    });
    expect((await api('GET', `/orders/${orderId}`, { token: buyer.token })).body.nextAction).toMatchObject({
      type: 'redirect_to_url',
      url: confirmed.body.nextAction.url,
    });
    expect(intentsFor(orderId)).toHaveLength(1);

    stripe.completeThreeDSecure(paymentId, true);
    await intentSucceeded(paymentId);
    const paid = await api('GET', `/orders/${orderId}`, { token: buyer.token });
    expect(paid.body).toMatchObject({ status: 'paid', nextStep: 'none' });
    expect(paid.body.nextAction).toBeUndefined();
    expect(await ownerOf(tokenId)).toBe(buyer.id);
  });

  it('reserve-then-pay with a card that needs no authentication pays at once', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const reserved = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}` },
    });
    const paying = await api('POST', `/orders/${reserved.body.orderId}/pay`, {
      token: buyer.token,
      body: { paymentMethodId: 'pm_card_visa', returnUrl: RETURN_URL },
    });
    expect(paying.status, JSON.stringify(paying.body)).toBe(200);
    expect(stripe.paymentIntent(reserved.body.paymentId)).toMatchObject({ status: 'succeeded' });
    await intentSucceeded(reserved.body.paymentId);
    expect(await ownerOf(tokenId)).toBe(buyer.id);
  });

  it('a declined Stripe payment keeps its payment id', async () => {
    const { listingId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const declined = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}`, paymentMethodId: 'pm_card_chargeDeclined' },
    });
    expect(declined.body).toMatchObject({ status: 'failed', declineCode: 'card_declined', nextStep: 'none' });
    expect(declined.body.paymentId).toMatch(/^pi_/);
    expect((await order(declined.body.orderId)).payment_id).toBe(declined.body.paymentId);
  });
});

describe('checkout flow on the sandbox rail (e2e)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp({}, undefined, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('a declined order keeps its payment id, as its stored event has it', async () => {
    const { listingId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const declined = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.declined),
    });
    expect(declined.body).toMatchObject({ status: 'failed', declineCode: 'card_declined' });
    expect(declined.body.paymentId).toMatch(/^pi_/);
    const [row] = await sql(testApp.databaseUrl, `SELECT payment_id, status FROM orders WHERE id = $1`, [
      declined.body.orderId,
    ]);
    expect(row).toEqual({ payment_id: declined.body.paymentId, status: 'failed' });
    const events = await sql(
      testApp.databaseUrl,
      `SELECT payment_id FROM payment_events WHERE payment_id = $1`,
      [declined.body.paymentId],
    );
    expect(events.length).toBeGreaterThan(0);
  });

  it('a 3-D Secure order gives its buyer the challenge link again, on GET /orders/:id and /pay', async () => {
    const { listingId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const pending = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.threeDSecure),
    });
    const { orderId, paymentId } = pending.body;
    const nextAction = { type: 'redirect_to_url', url: `/sandbox/3ds/${paymentId}` };
    expect(pending.body).toMatchObject({ status: 'requires_action', nextStep: 'authenticate', nextAction });
    const again = await api('GET', `/orders/${orderId}`, { token: buyer.token });
    expect(again.body).toMatchObject({ nextStep: 'authenticate', nextAction });
    const payAgain = await api('POST', `/orders/${orderId}/pay`, { token: buyer.token, body: {} });
    expect(payAgain.body).toMatchObject({ status: 'requires_action', nextAction });
    const operator = await createUser(testApp, api, ['operator']);
    expect(
      (await api('GET', `/orders/${orderId}`, { token: operator.token })).body.nextAction,
    ).toBeUndefined();

    const approved = await api('POST', nextAction.url, { body: { approve: true } });
    expect(approved.body).toMatchObject({ status: 'paid', nextStep: 'none' });
    expect((await api('GET', `/orders/${orderId}`, { token: buyer.token })).body.nextAction).toBeUndefined();
  });

  it('a checkout retried with its key says the order still needs paying, and a retry with a card pays it', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const idempotencyKey = `co-${randomUUID()}`;
    // The first attempt got no further than the reservation (as when the process died right after it).
    const first = await api('POST', '/checkout', { token: buyer.token, body: { listingId, idempotencyKey } });
    expect(first.status).toBe(201);
    const retried = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey },
    });
    expect(retried.body).toMatchObject({
      orderId: first.body.orderId,
      status: 'reserved',
      paymentId: null,
      nextStep: 'pay',
      payUrl: `/orders/${first.body.orderId}/pay`,
    });

    const withCard = await api('POST', '/checkout', {
      token: buyer.token,
      body: { ...cardCheckout({ listingId }), idempotencyKey },
    });
    expect(withCard.status, JSON.stringify(withCard.body)).toBe(201);
    expect(withCard.body).toMatchObject({ orderId: first.body.orderId, status: 'paid', nextStep: 'none' });
    const [owner] = await sql(testApp.databaseUrl, `SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]);
    expect(owner.owner_id).toBe(buyer.id);
  });
});

// Needs `npm run build`: two real API processes on one database, with their own background jobs.
describe('expired reservations on two API processes (e2e): the owed cancel is retried until Stripe confirms it', () => {
  let stripe: StripeTestServer;
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  const processes: ApiProcess[] = [];

  beforeAll(async () => {
    stripe = await startStripeTestServer();
    scratch = await createScratchDatabase();
    const stripeEnv = {
      STRIPE_SECRET_KEY: 'sk_test_heirloom_e2e',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_HOST: stripe.url,
      STRIPE_TIMEOUT_MS: '1000',
      STRIPE_MAX_NETWORK_RETRIES: '0',
    };
    // Sets data up only, jobs off: what happens below is the child processes' doing.
    testApp = await startTestApp(stripeEnv, scratch.url, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    for (let i = 0; i < 2; i++) {
      processes.push(await startApiProcess(scratch.url, { ...stripeEnv, RESERVATION_TTL_SECONDS: '2' }));
    }
  }, 90_000);
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await testApp?.close();
    await scratch?.drop();
    await stripe?.close();
  });

  it('a 3-D Secure payment whose hold lapses is canceled after failed attempts, so a late approval cannot capture it', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const shop = client(processes[0].url);
    const pending = await shop('POST', '/checkout', {
      token: buyer.token,
      body: {
        listingId,
        idempotencyKey: `co-${randomUUID()}`,
        paymentMethodId: 'pm_card_threeDSecure2Required',
      },
    });
    expect(pending.body, processes[0].output()).toMatchObject({ status: 'requires_action' });
    const { orderId, paymentId } = pending.body;
    // Stripe fails the first two cancels (whichever process sends them).
    stripe.failNext(2, 500);

    const deadline = Date.now() + 30_000;
    let owed: any;
    for (;;) {
      [owed] = await sql(scratch.url, `SELECT * FROM payment_cancels WHERE payment_id = $1`, [paymentId]);
      if (owed?.status === 'canceled' || Date.now() > deadline) break;
      await sleep(200);
    }
    expect(owed, processes.map((p) => p.output()).join('\n')).toMatchObject({
      order_id: orderId,
      status: 'canceled',
      attempts: 2,
    });
    expect(owed.last_error).toBeNull();
    const cancels = stripe.requests.filter((r) => r.path === `/v1/payment_intents/${paymentId}/cancel`);
    expect(cancels).toHaveLength(3);
    expect(new Set(cancels.map((r) => r.idempotencyKey))).toEqual(new Set([`payment:${paymentId}:cancel`]));
    expect(stripe.paymentIntent(paymentId)).toMatchObject({ status: 'canceled' });

    // The buyer approves 3-D Secure late: Stripe no longer takes it, nothing is captured.
    expect(() => stripe.completeThreeDSecure(paymentId, true)).toThrow(/not awaiting 3-D Secure/);
    const late = await client(processes[1].url)('GET', `/orders/${orderId}`, { token: buyer.token });
    expect(late.body).toMatchObject({ status: 'expired', nextStep: 'none' });
    expect(await sql(scratch.url, `SELECT owner_id FROM tokens WHERE id = $1`, [tokenId])).toEqual([
      { owner_id: creator.id },
    ]);
  });
});
