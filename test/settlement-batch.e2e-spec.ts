import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentEventsService } from '../libs/checkout/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { CARDS, cardCheckout, journalImbalance, listedEdition, signedEvent } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';

/**
 * Settlement in batches: payment events that arrive while a settlement transaction runs are stored
 * and applied together. Events are handed to the service in one tick, so the batches are known: the
 * first event alone (it starts the first transaction), then everything that queued behind it.
 * Runs on its own database, since one test adds a constraint.
 */
describe('settlement batches (e2e, real PostgreSQL)', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let events: PaymentEventsService;

  const PRICE = 1500;

  /** A buyer's 3-D Secure checkout left waiting: a reserved order with a payment id. */
  const pendingOrder = async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, PRICE);
    const buyer = await createUser(testApp, api);
    const response = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.threeDSecure),
    });
    expect(response.body.status).toBe('requires_action');
    return {
      orderId: response.body.orderId as string,
      paymentId: response.body.paymentId as string,
      tokenId,
      buyer,
    };
  };
  const succeeded = (order: { orderId: string; paymentId: string }) =>
    signedEvent(testApp.config.stripeWebhookSecret, 'payment_intent.succeeded', {
      id: order.paymentId,
      object: 'payment_intent',
      amount: PRICE,
      currency: 'usd',
      status: 'succeeded',
      metadata: { order_id: order.orderId },
    });
  /** Hands every event to the webhook service in one tick; settles each outcome. */
  const receiveTogether = (signed: { payload: string; signature: string }[]) =>
    Promise.allSettled(signed.map((event) => events.receive(event.payload, event.signature)));
  const rows = (orderIds: string[]) =>
    sql<{ order_id: string; status: string; owner_id: string; processed_at: Date | null; tx: string }>(
      testApp.databaseUrl,
      `SELECT o.id AS order_id, o.status, t.owner_id, e.processed_at, e.xmin::text AS tx
       FROM orders o JOIN tokens t ON t.id = o.token_id JOIN payment_events e ON e.payment_id = o.payment_id
       WHERE o.id = ANY($1) ORDER BY o.id`,
      [orderIds],
    );

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' }, scratch.url, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    events = testApp.app.get(PaymentEventsService);
  });
  afterAll(async () => {
    await testApp.close();
    await scratch.drop();
  });

  it('settles concurrent payments in shared transactions, each sale whole', async () => {
    const orders = await Promise.all(Array.from({ length: 8 }, pendingOrder));
    const outcomes = await receiveTogether(orders.map(succeeded));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(8).fill('fulfilled'));

    const settled = await rows(orders.map((order) => order.orderId));
    for (const order of orders) {
      expect(settled.find((row) => row.order_id === order.orderId)).toMatchObject({
        status: 'paid',
        owner_id: order.buyer.id,
      });
    }
    // The first event's transaction, then one for the seven that waited behind it.
    expect(new Set(settled.map((row) => row.tx)).size).toBe(2);
    const entries = await sql(
      testApp.databaseUrl,
      `SELECT count(*)::int AS n FROM ledger_entries WHERE token_id = ANY($1)
         AND convert_from(entry, 'UTF8')::jsonb->>'type' = 'sale'`,
      [orders.map((order) => order.tokenId)],
    );
    expect(entries[0].n).toBe(8);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('applies the rest of a batch when one event fails, and keeps the failed one for recovery', async () => {
    const orders = await Promise.all(Array.from({ length: 4 }, pendingOrder));
    const refused = orders[2];
    // The database refuses to mark this one order paid: its whole batch fails.
    await sql(
      testApp.databaseUrl,
      `ALTER TABLE orders ADD CONSTRAINT test_refuse_one CHECK (id <> '${refused.orderId}' OR status <> 'paid') NOT VALID`,
    );
    try {
      const outcomes = await receiveTogether(orders.map(succeeded));
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      const after = await rows(orders.map((order) => order.orderId));
      const state = (orderId: string) => after.find((row) => row.order_id === orderId)!;
      expect(state(refused.orderId)).toMatchObject({ status: 'requires_action', owner_id: creator.id });
      expect(state(refused.orderId).processed_at).toBeNull(); // stored, waiting for recovery
      for (const order of orders.filter((order) => order !== refused)) {
        expect(state(order.orderId)).toMatchObject({ status: 'paid', owner_id: order.buyer.id });
      }
    } finally {
      await sql(testApp.databaseUrl, `ALTER TABLE orders DROP CONSTRAINT test_refuse_one`);
    }
    expect(await events.processPending(0)).toBe(1);
    expect((await rows([refused.orderId]))[0]).toMatchObject({ status: 'paid', owner_id: refused.buyer.id });
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('sells an edition once when two lapsed orders for it are paid in one batch', async () => {
    const first = await pendingOrder();
    const { listingId, tokenId } = await listedEdition(api, creator, PRICE);
    const lapse = (orderId: string) =>
      sql(
        testApp.databaseUrl,
        `WITH o AS (UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1 RETURNING listing_id)
         UPDATE listings SET reserved_until = now() - interval '1 second' WHERE id = (SELECT listing_id FROM o)`,
        [orderId],
      );
    const orders = [];
    for (let i = 0; i < 2; i++) {
      const buyer = await createUser(testApp, api);
      const response = await api('POST', '/checkout', {
        token: buyer.token,
        body: cardCheckout({ listingId }, CARDS.threeDSecure),
      });
      expect(response.body.status).toBe('requires_action');
      orders.push({ orderId: response.body.orderId, paymentId: response.body.paymentId, buyer });
      await lapse(response.body.orderId);
    }
    // Both late payments queue behind the first event and share a transaction.
    const outcomes = await receiveTogether([succeeded(first), ...orders.map(succeeded)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const states = await sql(testApp.databaseUrl, `SELECT id, status FROM orders WHERE id = ANY($1)`, [
      orders.map((order) => order.orderId),
    ]);
    // In one transaction: the second sale of the edition was refused there, not by a failed batch.
    const applied = await sql(
      testApp.databaseUrl,
      `SELECT xmin::text AS tx FROM payment_events WHERE payment_id = ANY($1)`,
      [orders.map((order) => order.paymentId)],
    );
    expect(new Set(applied.map((row) => row.tx)).size).toBe(1);
    expect(states.map((row) => row.status).sort()).toEqual(['paid', 'refund_pending']);
    const paid = orders.find((order) => states.find((row) => row.id === order.orderId)!.status === 'paid')!;
    const [token] = await sql(testApp.databaseUrl, `SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]);
    expect(token.owner_id).toBe(paid.buyer.id);
    const entries = await sql(
      testApp.databaseUrl,
      `SELECT convert_from(entry, 'UTF8')::jsonb->>'type' AS type FROM ledger_entries WHERE token_id = $1`,
      [tokenId],
    );
    expect(entries.map((entry) => entry.type).sort()).toEqual(['mint', 'sale']);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('applies two events of one payment that arrive together one after the other', async () => {
    const [first, order] = await Promise.all([pendingOrder(), pendingOrder()]);
    const refunded = signedEvent(testApp.config.stripeWebhookSecret, 'charge.refunded', {
      id: `ch_${order.paymentId}`,
      object: 'charge',
      payment_intent: order.paymentId,
      amount: PRICE,
      amount_refunded: PRICE,
      currency: 'usd',
      metadata: { order_id: order.orderId },
    });
    // The first event runs alone; the sale and the refund of `order` queue behind it together.
    const outcomes = await receiveTogether([succeeded(first), succeeded(order), refunded]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const [state] = await sql(testApp.databaseUrl, `SELECT status FROM orders WHERE id = $1`, [
      order.orderId,
    ]);
    expect(state.status).toBe('refunded');
    const [token] = await sql(testApp.databaseUrl, `SELECT owner_id FROM tokens WHERE id = $1`, [
      order.tokenId,
    ]);
    expect(token.owner_id).toBe(creator.id);
    const pending = await sql(
      testApp.databaseUrl,
      `SELECT id FROM payment_events WHERE payment_id = $1 AND processed_at IS NULL`,
      [order.paymentId],
    );
    expect(pending).toEqual([]);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });
});
