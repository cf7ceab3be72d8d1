import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { startApiProcess, type ApiProcess } from './support/api-process.js';
import { CARDS, cardCheckout, journalImbalance, listedEdition } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { startStripeTestServer } from './support/stripe-test-server.js';

const PROBLEM = 'https://heirloom.dev/problems/';

// The sandbox card rail keeps its payments and undelivered events in PostgreSQL (issue 10, item 10):
// shown with real API processes on one database, killed with SIGKILL as in a power cut.
describe('sandbox card rail (e2e): the same payments from every API process, across restarts', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  const processes: ApiProcess[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const started = await startApiProcess(scratch.url, { SANDBOX_DISPUTE_DELAY_MS: '86400000', ...env });
    processes.push(started);
    return started;
  };
  const query = <T = any>(text: string, params: unknown[] = []) => sql<T>(scratch.url, text, params);
  const order = async (orderId: string) => (await query(`SELECT * FROM orders WHERE id = $1`, [orderId]))[0];
  const ownerOf = async (tokenId: string) =>
    (await query(`SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id;
  /** Polls the order until it has `status`, at most `ms`. */
  const orderBecomes = async (orderId: string, status: string, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while ((await order(orderId)).status !== status) {
      if (Date.now() > deadline)
        throw new Error(`order ${orderId} is ${(await order(orderId)).status}, not ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  /** A 3-D Secure checkout (card 4000 0025 0000 3155) on `shop`, waiting for the challenge. */
  const threeDSecureCheckout = async (shop: Client, buyer: TestUser, listingId: string) => {
    const pending = await shop('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.threeDSecure),
    });
    expect(pending.status).toBe(201);
    expect(pending.body).toMatchObject({
      status: 'requires_action',
      nextAction: { type: 'redirect_to_url' },
    });
    expect(pending.body.nextAction.url).toBe(`/sandbox/3ds/${pending.body.paymentId}`);
    return pending.body as { orderId: string; paymentId: string; nextAction: { url: string } };
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // Sets data up only: with its jobs off, whatever happens below is the child processes' doing.
    testApp = await startTestApp({}, scratch.url, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await testApp?.close();
    await scratch?.drop();
  });

  it('finishes a 3-D Secure payment started on process A through process B', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const { listingId, tokenId } = await listedEdition(api, creator, 2100);
    const buyer = await createUser(testApp, api);

    const pending = await threeDSecureCheckout(client(a.url), buyer, listingId);
    const page = await client(b.url)('GET', pending.nextAction.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Sandbox bank');
    const done = await client(b.url)('POST', pending.nextAction.url, { body: { approve: true } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ orderId: pending.orderId, status: 'paid', card: { last4: '3155' } });

    expect(
      (await client(a.url)('GET', `/orders/${pending.orderId}`, { token: buyer.token })).body.status,
    ).toBe('paid');
    expect(await ownerOf(tokenId)).toBe(buyer.id);
    expect(
      await query(`SELECT state FROM sandbox_payment_intents WHERE id = $1`, [pending.paymentId]),
    ).toEqual([{ state: 'succeeded' }]);
    expect(await journalImbalance(scratch.url)).toEqual([]);
  });

  it('finishes a 3-D Secure payment after its process was killed, on a newly started one', async () => {
    const doomed = await start();
    const { listingId, tokenId } = await listedEdition(api, creator, 2200);
    const buyer = await createUser(testApp, api);
    const pending = await threeDSecureCheckout(client(doomed.url), buyer, listingId);
    expect(await doomed.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const restarted = await start();
    const done = await client(restarted.url)('POST', pending.nextAction.url, { body: { approve: true } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ orderId: pending.orderId, status: 'paid' });
    expect(await ownerOf(tokenId)).toBe(buyer.id);
    // Completing it again (a double click) answers the same.
    const again = await client(restarted.url)('POST', pending.nextAction.url, { body: { approve: false } });
    expect(again.body).toMatchObject({ orderId: pending.orderId, status: 'paid' });
  });

  it('sends the refund owed for a payment made by a process that died', async () => {
    // Earlier tests' processes would run their expiry job on the hold this test backdates, and
    // cancel the payment before the late approval below: stop them first.
    await Promise.all(processes.splice(0).map((process) => process.stop()));
    // No background jobs on A: the refund it comes to owe is still owed when it dies.
    const a = await start({ HEIRLOOM_DISABLE_JOBS: '1' });
    const shop = client(a.url);
    const { listingId, tokenId } = await listedEdition(api, creator, 2300);
    const slow = await createUser(testApp, api);
    const pending = await threeDSecureCheckout(shop, slow, listingId);
    // The slow buyer's hold runs out and another buyer takes the edition.
    await query(`UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1`, [
      pending.orderId,
    ]);
    await query(`UPDATE listings SET reserved_until = now() - interval '1 second' WHERE id = $1`, [
      listingId,
    ]);
    const fast = await createUser(testApp, api);
    const sold = await shop('POST', '/checkout', { token: fast.token, body: cardCheckout({ listingId }) });
    expect(sold.body.status).toBe('paid');
    // Then the slow buyer approves: A captures a payment for an edition already sold.
    const late = await shop('POST', pending.nextAction.url, { body: { approve: true } });
    expect(late.body).toMatchObject({ orderId: pending.orderId, status: 'refund_pending' });
    expect(await query(`SELECT status FROM refund_requests WHERE order_id = $1`, [pending.orderId])).toEqual([
      { status: 'pending' },
    ]);
    await a.kill('SIGKILL');

    await start();
    await orderBecomes(pending.orderId, 'refunded');
    expect(await query(`SELECT status FROM refund_requests WHERE order_id = $1`, [pending.orderId])).toEqual([
      { status: 'sent' },
    ]);
    expect(
      await query(`SELECT amount::int FROM sandbox_refunds WHERE payment_id = $1`, [pending.paymentId]),
    ).toEqual([{ amount: 2300 }]);
    expect(
      await query(`SELECT state FROM sandbox_payment_intents WHERE id = $1`, [pending.paymentId]),
    ).toEqual([{ state: 'refunded' }]);
    expect(await ownerOf(tokenId)).toBe(fast.id);
    expect(await journalImbalance(scratch.url)).toEqual([]);
  });

  it('delivers a captured payment\u2019s webhook that its process died before sending', async () => {
    const doomed = await start({ HEIRLOOM_CRASH_AT: 'sandbox-event-stored' });
    const { listingId, tokenId } = await listedEdition(api, creator, 2400);
    const buyer = await createUser(testApp, api);
    const attempt = await client(doomed.url)('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }),
    }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(attempt).toBe('fetch failed');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });

    // The sandbox captured the payment and kept its event; the app has not heard of it.
    const [reserved] = await query(`SELECT id, status FROM orders WHERE buyer_id = $1`, [buyer.id]);
    expect(reserved.status).toBe('reserved');
    expect(await query(`SELECT 1 FROM payment_events WHERE order_id = $1`, [reserved.id])).toEqual([]);
    expect(
      await query(
        `SELECT e.type, e.delivered_at FROM sandbox_events e JOIN sandbox_payment_intents i ON i.id = e.payment_id
         WHERE i.order_id = $1`,
        [reserved.id],
      ),
    ).toEqual([{ type: 'payment_intent.succeeded', delivered_at: null }]);

    await start();
    await orderBecomes(reserved.id, 'paid');
    expect(await ownerOf(tokenId)).toBe(buyer.id);
    expect(
      await query(
        `SELECT e.delivered_at IS NOT NULL AS delivered FROM sandbox_events e
         JOIN sandbox_payment_intents i ON i.id = e.payment_id WHERE i.order_id = $1`,
        [reserved.id],
      ),
    ).toEqual([{ delivered: true }]);
    expect(await journalImbalance(scratch.url)).toEqual([]);
  });

  it("opens the 4000 0000 0000 0259 card's dispute when due, though its process died meanwhile", async () => {
    const doomed = await start({ SANDBOX_DISPUTE_DELAY_MS: '2000' });
    const { listingId, tokenId } = await listedEdition(api, creator, 2500);
    const buyer = await createUser(testApp, api);
    const paid = await client(doomed.url)('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.disputed),
    });
    expect(paid.body.status).toBe('paid');
    await doomed.kill('SIGKILL'); // its dispute timer with it

    await start();
    await orderBecomes(paid.body.orderId, 'disputed');
    expect((await query(`SELECT status FROM tokens WHERE id = $1`, [tokenId]))[0].status).toBe('frozen');
  });
});

describe('sandbox routes in Stripe mode (e2e)', () => {
  it('are not mounted: GET and POST /sandbox/3ds/x answer 404 and call nobody', async () => {
    const stripe = await startStripeTestServer();
    const testApp = await startTestApp(
      {
        STRIPE_SECRET_KEY: 'sk_test_heirloom_e2e',
        STRIPE_WEBHOOK_SECRET: 'whsec_test_sandbox_routes',
        STRIPE_API_HOST: stripe.url,
      },
      undefined,
      { jobs: false },
    );
    try {
      const api = client(testApp.url);
      const page = await api('GET', '/sandbox/3ds/x');
      expect(page.status).toBe(404);
      expect(page.body).not.toContain('Sandbox bank');
      const complete = await api('POST', '/sandbox/3ds/x', { body: { approve: true } });
      expect(complete.status).toBe(404);
      expect(complete.headers.get('content-type')).toContain('application/problem+json');
      expect(stripe.requests).toEqual([]);
      const docs = await api('GET', '/docs/openapi.json');
      expect(Object.keys(docs.body.paths).filter((path) => path.startsWith('/sandbox'))).toEqual([]);
    } finally {
      await testApp.close();
      await stripe.close();
    }
  });

  it('are mounted on the sandbox rail', async () => {
    const testApp = await startTestApp({}, undefined, { jobs: false });
    try {
      const api = client(testApp.url);
      expect((await api('GET', '/sandbox/3ds/x')).body).toContain('Sandbox bank');
      const unknown = await api('POST', '/sandbox/3ds/x', { body: { approve: true } });
      expect(unknown).toMatchObject({ status: 404, body: { type: PROBLEM + 'not-found' } });
      const docs = await api('GET', '/docs/openapi.json');
      expect(docs.body.paths['/sandbox/3ds/{paymentId}']).toBeDefined();
    } finally {
      await testApp.close();
    }
  });
});
