import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeriodicJobs } from '../libs/database/src/index.js';
import { CheckoutService } from '../libs/checkout/src/index.js';
import { RefundService } from '../libs/settlement/src/index.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import {
  CARDS,
  cardCheckout,
  journalImbalance,
  listedEdition,
  paidOrderCount,
  postEvent,
  signedEvent,
} from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';

const PROBLEM = 'https://heirloom.dev/problems/';

describe('checkout (e2e, sandbox card rail on real PostgreSQL)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let secret: string;

  const newListing = (priceMinor = 1999) => listedEdition(api, creator, priceMinor);
  const ownerOf = async (tokenId: string) =>
    (await sql(testApp.databaseUrl, `SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id;
  const order = async (orderId: string) =>
    (await sql(testApp.databaseUrl, `SELECT * FROM orders WHERE id = $1`, [orderId]))[0];
  /** A 3-D Secure checkout left waiting until its reservation lapsed (the clock moved by SQL). */
  const pendingPastItsReservation = async (buyer: TestUser, listingId: string) => {
    const pending = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.threeDSecure),
    });
    await sql(
      testApp.databaseUrl,
      `UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1`,
      [pending.body.orderId],
    );
    await sql(
      testApp.databaseUrl,
      `UPDATE listings SET reserved_until = now() - interval '1 second' WHERE id = $1`,
      [listingId],
    );
    return pending;
  };

  beforeAll(async () => {
    // This file runs reservation expiry and refunds itself (one test expires a reservation without
    // cancelling its payment); a ticking expiry job would race it.
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' }, undefined, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    secret = testApp.config.stripeWebhookSecret;
  });
  afterAll(() => testApp.close());

  it('sells an edition for a good card: ownership, ledger, order and money move together', async () => {
    const { listingId, tokenId } = await newListing(1999);
    const buyer = await createUser(testApp, api);
    const response = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }),
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      status: 'paid',
      amountMinor: 1999,
      currency: 'USD',
      card: { brand: 'visa', last4: '4242' },
    });
    expect(await ownerOf(tokenId)).toBe(buyer.id);
    const queue = await sql(
      testApp.databaseUrl,
      `SELECT convert_from(entry, 'UTF8') AS e FROM ledger_entries WHERE token_id = $1`,
      [tokenId],
    );
    expect(queue.map((r) => JSON.parse(r.e).type).sort()).toEqual(['mint', 'sale']);
    const lines = await sql(
      testApp.databaseUrl,
      `SELECT l.account, l.amount_minor FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id WHERE e.order_id = $1`,
      [response.body.orderId],
    );
    expect(lines.reduce((sum, l) => sum + Number(l.amount_minor), 0)).toBe(0);
    expect(lines.find((l) => l.account === 'asset:processor-clearing').amount_minor).toBe('1999');
    // The card number is nowhere in the database: only brand and last four.
    expect(JSON.stringify(await sql(testApp.databaseUrl, `SELECT * FROM orders`))).not.toContain(CARDS.visa);
    expect(
      JSON.stringify(await sql(testApp.databaseUrl, `SELECT payload FROM payment_events`)),
    ).not.toContain(CARDS.visa);
    // The sold listing cannot be bought again.
    const again = await api('POST', '/checkout', {
      token: (await createUser(testApp, api)).token,
      body: cardCheckout({ listingId }),
    });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe(PROBLEM + 'not-available');
  });

  it('reserves first and pays second (the Payment Element flow), idempotently', async () => {
    const { listingId, tokenId } = await newListing();
    const buyer = await createUser(testApp, api);
    const { card, ...reserveOnly } = cardCheckout({ listingId });
    const reserved = await api('POST', '/checkout', { token: buyer.token, body: reserveOnly });
    expect(reserved.status).toBe(201);
    expect(reserved.body).toMatchObject({ status: 'reserved', paymentId: null });
    const stranger = await createUser(testApp, api);
    expect(
      (await api('POST', `/orders/${reserved.body.orderId}/pay`, { token: stranger.token, body: { card } }))
        .status,
    ).toBe(404);
    const paid = await api('POST', `/orders/${reserved.body.orderId}/pay`, {
      token: buyer.token,
      body: { card },
    });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ orderId: reserved.body.orderId, status: 'paid' });
    const again = await api('POST', `/orders/${reserved.body.orderId}/pay`, {
      token: buyer.token,
      body: { card },
    });
    expect(again.body).toMatchObject({ status: 'paid', paymentId: paid.body.paymentId });
    expect(await ownerOf(tokenId)).toBe(buyer.id);

    const late = await newListing();
    const lateOrder = await api('POST', '/checkout', {
      token: buyer.token,
      body: { ...reserveOnly, listingId: late.listingId, idempotencyKey: `late-${reserved.body.orderId}` },
    });
    await sql(
      testApp.databaseUrl,
      `UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1`,
      [lateOrder.body.orderId],
    );
    const refused = await api('POST', `/orders/${lateOrder.body.orderId}/pay`, {
      token: buyer.token,
      body: { card },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe(PROBLEM + 'reservation-expired');
  });

  it('returns the same order for a retried checkout (idempotency key)', async () => {
    const { listingId } = await newListing();
    const buyer = await createUser(testApp, api);
    const body = cardCheckout({ listingId });
    const first = await api('POST', '/checkout', { token: buyer.token, body });
    const second = await api('POST', '/checkout', { token: buyer.token, body });
    expect(second.body.orderId).toBe(first.body.orderId);
    const count = await sql(testApp.databaseUrl, `SELECT count(*) FROM orders WHERE buyer_id = $1`, [
      buyer.id,
    ]);
    expect(count[0].count).toBe('1');
  });

  it.each([
    ['declined', CARDS.declined, 'card_declined'],
    ['insufficient funds', CARDS.insufficientFunds, 'insufficient_funds'],
  ])('refuses a %s card and releases the edition', async (_name, number, code) => {
    const { listingId, tokenId } = await newListing();
    const buyer = await createUser(testApp, api);
    const response = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, number),
    });
    expect(response.body).toMatchObject({ status: 'failed', declineCode: code });
    expect(await ownerOf(tokenId)).toBe(creator.id);
    const next = await api('POST', '/checkout', {
      token: (await createUser(testApp, api)).token,
      body: cardCheckout({ listingId }),
    });
    expect(next.body.status).toBe('paid');
  });

  it('completes a 3-D Secure payment, and releases an abandoned one', async () => {
    const { listingId, tokenId } = await newListing();
    const buyer = await createUser(testApp, api);
    const pending = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.threeDSecure),
    });
    expect(pending.body.status).toBe('requires_action');
    expect(pending.body.nextAction.url).toBe(`/sandbox/3ds/${pending.body.paymentId}`);
    expect((await api('GET', pending.body.nextAction.url)).body).toContain('Sandbox bank');
    const done = await api('POST', pending.body.nextAction.url, { body: { approve: true } });
    expect(done.body.status).toBe('paid');
    expect(await ownerOf(tokenId)).toBe(buyer.id);

    const other = await newListing();
    const abandoned = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId: other.listingId }, CARDS.threeDSecure),
    });
    const failed = await api('POST', abandoned.body.nextAction.url, { body: { approve: false } });
    expect(failed.body.status).toBe('failed');
    expect(await ownerOf(other.tokenId)).toBe(creator.id);
  });

  it('expires a reservation, and refunds a payment that succeeds after the edition was sold to another buyer', async () => {
    const { listingId, tokenId } = await newListing();
    const slow = await createUser(testApp, api);
    const pending = await pendingPastItsReservation(slow, listingId);
    await testApp.app.get(CheckoutService).expireReservations(); // the job, without cancelling the payment
    expect((await order(pending.body.orderId)).status).toBe('expired');

    const fast = await createUser(testApp, api);
    expect(
      (await api('POST', '/checkout', { token: fast.token, body: cardCheckout({ listingId }) })).body.status,
    ).toBe('paid');

    const late = await api('POST', pending.body.nextAction.url, { body: { approve: true } });
    expect(late.body.status).toBe('refund_pending');
    await testApp.app.get(RefundService).sendPending();
    await expect.poll(async () => (await order(pending.body.orderId)).status).toBe('refunded');
    expect(await ownerOf(tokenId)).toBe(fast.id);
    expect(await paidOrderCount(testApp.databaseUrl, listingId)).toBe(1);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('releases expired reservations through the background job', async () => {
    const { listingId } = await newListing();
    const buyer = await createUser(testApp, api);
    const pending = await pendingPastItsReservation(buyer, listingId);
    expect(await testApp.app.get(PeriodicJobs).runNow('reservation-expiry')).toBe(true);
    expect((await order(pending.body.orderId)).status).toBe('expired');
    // The job also cancelled the payment: completing 3-D Secure now captures nothing.
    const late = await api('POST', pending.body.nextAction.url, { body: { approve: true } });
    expect(late.body.status).toBe('expired');
    const next = await api('POST', '/checkout', {
      token: (await createUser(testApp, api)).token,
      body: cardCheckout({ listingId }),
    });
    expect(next.body.status).toBe('paid');
  });

  it('applies a webhook delivered twice only once, and rejects a bad signature', async () => {
    const { listingId, tokenId } = await newListing(2500);
    const buyer = await createUser(testApp, api);
    const pending = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.threeDSecure),
    });
    const intent = {
      id: pending.body.paymentId,
      object: 'payment_intent',
      amount: 2500,
      currency: 'usd',
      status: 'succeeded',
      metadata: { order_id: pending.body.orderId },
    };
    const event = signedEvent(secret, 'payment_intent.succeeded', intent);

    const forged = await postEvent(
      api,
      event,
      event.signature.replace(/v1=(\w)/, (_m, c) => `v1=${c === '0' ? '1' : '0'}`),
    );
    expect(forged.status).toBe(400);
    expect(forged.body.type).toBe(PROBLEM + 'invalid-webhook');
    const tampered = await postEvent(api, {
      payload: event.payload.replace('2500', '1'),
      signature: event.signature,
    });
    expect(tampered.status).toBe(400);
    expect((await order(pending.body.orderId)).status).toBe('requires_action');
    expect(
      await sql(testApp.databaseUrl, `SELECT 1 FROM payment_events WHERE payment_id = $1`, [intent.id]),
    ).toEqual([]);

    expect((await postEvent(api, event)).body).toEqual({ received: true, duplicate: false });
    expect((await postEvent(api, event)).body).toEqual({ received: true, duplicate: true });
    expect((await order(pending.body.orderId)).status).toBe('paid');
    expect(await ownerOf(tokenId)).toBe(buyer.id);
    const sales = await sql(testApp.databaseUrl, `SELECT count(*) FROM journal_entries WHERE order_id = $1`, [
      pending.body.orderId,
    ]);
    expect(sales[0].count).toBe('1');
  });

  it('reaches the same final state when events arrive out of order', async () => {
    const finalState = async (order_: 'in-order' | 'reversed') => {
      const { listingId, tokenId } = await newListing(3000);
      const buyer = await createUser(testApp, api);
      const pending = await api('POST', '/checkout', {
        token: buyer.token,
        body: cardCheckout({ listingId }, CARDS.threeDSecure),
      });
      const metadata = { order_id: pending.body.orderId };
      const succeeded = signedEvent(secret, 'payment_intent.succeeded', {
        id: pending.body.paymentId,
        object: 'payment_intent',
        amount: 3000,
        currency: 'usd',
        status: 'succeeded',
        metadata,
      });
      const refunded = signedEvent(secret, 'charge.refunded', {
        id: 'ch_x',
        object: 'charge',
        payment_intent: pending.body.paymentId,
        amount: 3000,
        amount_refunded: 3000,
        currency: 'usd',
        metadata,
      });
      for (const event of order_ === 'in-order' ? [succeeded, refunded] : [refunded, succeeded]) {
        expect((await postEvent(api, event)).status).toBe(200);
      }
      return {
        status: (await order(pending.body.orderId)).status,
        ownerIsCreator: (await ownerOf(tokenId)) === creator.id,
      };
    };
    const inOrder = await finalState('in-order');
    expect(inOrder).toEqual({ status: 'refunded', ownerIsCreator: true });
    expect(await finalState('reversed')).toEqual(inOrder);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('freezes a disputed token, and reverts it when the dispute is lost', async () => {
    const { listingId, tokenId } = await newListing();
    const buyer = await createUser(testApp, api);
    const paid = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.disputed),
    });
    expect(paid.body.status).toBe('paid');
    const metadata = { order_id: paid.body.orderId };
    const dispute = (status: string) => ({
      id: 'dp_1',
      object: 'dispute',
      amount: 1999,
      currency: 'usd',
      payment_intent: paid.body.paymentId,
      status,
      metadata,
    });
    await postEvent(api, signedEvent(secret, 'charge.dispute.created', dispute('needs_response')));
    const frozen = await sql(testApp.databaseUrl, `SELECT status, owner_id FROM tokens WHERE id = $1`, [
      tokenId,
    ]);
    expect(frozen[0]).toEqual({ status: 'frozen', owner_id: buyer.id });
    await postEvent(api, signedEvent(secret, 'charge.dispute.closed', dispute('lost')));
    const reverted = await sql(testApp.databaseUrl, `SELECT status, owner_id FROM tokens WHERE id = $1`, [
      tokenId,
    ]);
    expect(reverted[0]).toEqual({ status: 'active', owner_id: creator.id });
    expect((await order(paid.body.orderId)).status).toBe('refunded');
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('the database refuses an unbalanced journal entry at commit', async () => {
    const attempt = sql(
      testApp.databaseUrl,
      `WITH e AS (INSERT INTO journal_entries (kind) VALUES ('test-unbalanced') RETURNING id)
       INSERT INTO journal_lines (entry_id, account, amount_minor, currency)
       SELECT id, a, v, 'USD' FROM e, (VALUES ('asset:x', 100), ('revenue:y', -99)) AS l(a, v)`,
    );
    await expect(attempt).rejects.toThrow(/does not balance/);
    expect(
      await sql(testApp.databaseUrl, `SELECT 1 FROM journal_entries WHERE kind = 'test-unbalanced'`),
    ).toEqual([]);
  });

  it('refuses bad checkout input with problem+json', async () => {
    const buyer = await createUser(testApp, api);
    const both = await api('POST', '/checkout', {
      token: buyer.token,
      body: { ...cardCheckout({ listingId: crypto.randomUUID() }), dropId: crypto.randomUUID() },
    });
    expect(both.status).toBe(400);
    const badCard = await api('POST', '/checkout', {
      token: buyer.token,
      body: {
        ...cardCheckout({ listingId: crypto.randomUUID() }),
        card: { number: 'x', expMonth: 13, expYear: 1, cvc: '1' },
      },
    });
    expect(badCard.body.type).toBe(PROBLEM + 'validation-failed');
    const { listingId } = await newListing();
    const luhn = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, '4242424242424241'),
    });
    expect(luhn.body).toMatchObject({ status: 'failed', declineCode: 'incorrect_number' });
    const own = await api('POST', '/checkout', { token: creator.token, body: cardCheckout({ listingId }) });
    expect(own.body.type).toBe(PROBLEM + 'own-listing');
    const unknownPayment = await api('POST', '/sandbox/3ds/pi_unknown', { body: { approve: true } });
    expect(unknownPayment.status).toBe(404);
    expect(unknownPayment.body.type).toBe(PROBLEM + 'not-found');
  });
});
