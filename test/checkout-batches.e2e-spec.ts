import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentEventsService } from '../libs/settlement/src/index.js';
import { ReservationService, type DropCheckout } from '../libs/checkout/src/reservation.service.js';
import { pgErrorCode } from '../libs/database/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import {
  CARDS,
  cardCheckout,
  chargeRefunded,
  journalImbalance,
  listedEdition,
  openDrop,
  signedEvent,
} from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';

/**
 * Checkout in batches (group commit): reservations at one drop that arrive while a reservation call
 * runs share the next call, and payment events that arrive while a settlement transaction runs are
 * stored and applied together. Requests are handed to the services in one tick, so the batches are
 * known: the first alone (it starts the first call), then everything that queued behind it. Runs on
 * its own database, since one test adds a constraint.
 */
describe('checkout batches (e2e, real PostgreSQL)', () => {
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

  /** A first-come drop of `editions`, as checkout reads it. */
  const newDrop = async (editions: number) => {
    const { dropId } = await openDrop(api, creator, editions, { priceMinor: PRICE });
    return testApp.app.get(ReservationService).dropForCheckout(dropId, creator.id, 'unused');
  };
  /** Hands every reservation request to the service in one tick. */
  const reserveTogether = async (drop: DropCheckout, requests: { buyer: TestUser; key: string }[]) => {
    const reservations = testApp.app.get(ReservationService);
    return Promise.allSettled(
      requests.map(({ buyer, key }) => reservations.reserveFromPlainDrop(drop, buyer.id, key)),
    );
  };
  const ordersOf = (dropId: string) =>
    sql(testApp.databaseUrl, `SELECT buyer_id, listing_id, xmin::text AS tx FROM orders WHERE drop_id = $1`, [
      dropId,
    ]);

  it('reserves concurrent requests at one drop in shared calls, one edition each', async () => {
    const drop = await newDrop(6);
    const buyers = await Promise.all(Array.from({ length: 8 }, () => createUser(testApp, api)));
    const outcomes = await reserveTogether(
      drop,
      buyers.map((buyer) => ({ buyer, key: 'k1' })),
    );
    // Eight buyers for six editions: the last two in the batch find nothing free.
    expect(outcomes.map((outcome) => outcome.status === 'fulfilled' && outcome.value !== undefined)).toEqual([
      ...Array(6).fill(true),
      false,
      false,
    ]);
    const rows = await ordersOf(drop.drop_id!);
    expect(new Set(rows.map((row) => row.listing_id)).size).toBe(6);
    // The first request's call, then one for the seven that waited behind it.
    expect(new Set(rows.map((row) => row.tx)).size).toBe(2);
  });

  it('answers concurrent lookups at one drop together, each with the order under its own key', async () => {
    const drop = await newDrop(2);
    const buyers = await Promise.all(Array.from({ length: 3 }, () => createUser(testApp, api)));
    const reserved = await reserveTogether(drop, [{ buyer: buyers[1], key: 'k1' }]);
    expect(reserved[0].status).toBe('fulfilled');
    const reservations = testApp.app.get(ReservationService);
    const lookups = await Promise.all([
      ...buyers.map((buyer) => reservations.dropForCheckout(drop.drop_id!, buyer.id, 'k1')),
      reservations.dropForCheckout(drop.drop_id!, buyers[1].id, 'k2'),
    ]);
    expect(lookups.map((lookup) => lookup.previous_id)).toEqual([
      null,
      (reserved[0] as PromiseFulfilledResult<{ id: string }>).value.id,
      null,
      null,
    ]);
    for (const lookup of lookups) expect(lookup).toMatchObject({ drop_id: drop.drop_id, available: true });
  });

  it('answers a retry that shares a batch with other requests by its key, and reserves the others', async () => {
    const drop = await newDrop(8);
    const buyers = await Promise.all(Array.from({ length: 4 }, () => createUser(testApp, api)));
    const requests = buyers.map((buyer) => ({ buyer, key: 'k1' }));
    // The first buyer's request again (a retry with its key), in the batch after its original, and
    // twice in that batch: one waits for the next.
    const outcomes = await reserveTogether(drop, [...requests, requests[0], requests[0]]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    // The key's unique violation, which checkout answers with the original order.
    for (const outcome of outcomes.slice(4))
      expect(pgErrorCode((outcome as PromiseRejectedResult).reason)).toBe('23505');
    const rows = await ordersOf(drop.drop_id!);
    expect(rows.map((row) => row.buyer_id).sort()).toEqual(buyers.map((buyer) => buyer.id).sort());
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
    const refunded = chargeRefunded(testApp.config.stripeWebhookSecret, { ...order, amount: PRICE });
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
