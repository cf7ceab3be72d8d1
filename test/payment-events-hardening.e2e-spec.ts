import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../libs/config/src/index.js';
import { PAYMENT_PROVIDER, type PaymentProvider } from '../libs/payments/src/index.js';
import { normaliseStripeEvent } from '../libs/payments/src/webhook-event.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import {
  cardCheckout,
  chargeRefunded,
  journalImbalance,
  listedEdition,
  postEvent,
  signedEvent,
} from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';

const PROBLEM = 'https://heirloom.dev/problems/';

describe('payment events: forged events change nothing; events kept as received (e2e, sandbox rail)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  /** The installation's webhook secret, read from its data folder as an attacker holding it would. */
  let stolenSecret: string;

  const query = (text: string, params: unknown[] = []) => sql(testApp.databaseUrl, text, params);
  /** Everything a settled event could change about an order: its row, token, ledger and journal. */
  const stateOf = async (orderId: string) => ({
    order: (await query(`SELECT * FROM orders WHERE id = $1`, [orderId]))[0],
    token: (
      await query(
        `SELECT t.owner_id, t.status, t.ledger_seq FROM tokens t JOIN orders o ON o.token_id = t.id WHERE o.id = $1`,
        [orderId],
      )
    )[0],
    ledger: await query(
      `SELECT e.id FROM ledger_log e JOIN orders o ON o.token_id::text = e.token_id WHERE o.id = $1 ORDER BY e.id`,
      [orderId],
    ),
    journal: await query(
      `SELECT e.kind, l.account, l.amount_minor FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
       WHERE e.order_id = $1 ORDER BY e.kind, l.account`,
      [orderId],
    ),
  });
  const storedEvent = async (eventId: string) =>
    (await query(`SELECT * FROM payment_events WHERE id = $1`, [eventId]))[0];
  /** A buyer's paid sandbox purchase. */
  const paidOrder = async (priceMinor = 2500) => {
    const { listingId, tokenId } = await listedEdition(api, creator, priceMinor);
    const buyer = await createUser(testApp, api);
    const paid = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    expect(paid.body.status).toBe('paid');
    return { orderId: paid.body.orderId as string, paymentId: paid.body.paymentId as string, buyer, tokenId };
  };
  /** A buyer's reservation with no payment yet (reserve-then-pay, before paying). */
  const reservedOrder = async (priceMinor = 2500) => {
    const { listingId, tokenId } = await listedEdition(api, creator, priceMinor);
    const buyer = await createUser(testApp, api);
    const held = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}` },
    });
    expect(held.body).toMatchObject({ status: 'reserved' });
    expect(held.body.paymentId ?? null).toBeNull();
    return { orderId: held.body.orderId as string, tokenId };
  };
  const madeUpIntent = () => `pi_forged_${randomUUID().replaceAll('-', '')}`;
  /** A succeeded payment in the sandbox's books for an order, whose own event was never delivered. */
  const chargedInSandbox = async (orderId: string, amount: number) => {
    const paymentId = `pi_lost_${randomUUID().replaceAll('-', '')}`;
    await query(
      `INSERT INTO sandbox_payment_intents (id, order_id, amount, currency, metadata, state, card_brand, card_last4,
         behaviour, created_seconds, idempotency_key, fingerprint, client_secret)
       VALUES ($1, $2, $3, 'usd', $4, 'succeeded', 'visa', '4242', 'succeed', extract(epoch FROM now())::bigint,
         $5, 'test', $6)`,
      [
        paymentId,
        orderId,
        amount,
        JSON.stringify({ order_id: orderId }),
        `order:${orderId}:lost`,
        `${paymentId}_secret`,
      ],
    );
    return paymentId;
  };

  beforeAll(async () => {
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' }, undefined, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    stolenSecret = readFileSync(join(testApp.config.dataDir, 'sandbox-webhook.secret'), 'utf8').trim();
  });
  afterAll(() => testApp.close());

  describe('the webhook secret', () => {
    it('is generated per installation into its data folder (0600), not a shared public default', async () => {
      expect(stolenSecret).toMatch(/^whsec_[\w-]{32,}$/);
      expect(testApp.config.stripeWebhookSecret).toBe(stolenSecret);
      expect(statSync(join(testApp.config.dataDir, 'sandbox-webhook.secret')).mode & 0o777).toBe(0o600);

      const installation = () =>
        loadConfig({ HEIRLOOM_DATA_DIR: mkdtempSync(join(tmpdir(), 'heirloom-ws-')) });
      const [one, two] = [installation(), installation()];
      expect(one.stripeWebhookSecret).not.toBe(two.stripeWebhookSecret);
      // Read again by the next start (or a second process) on the same data folder: the same secret.
      expect(loadConfig({ HEIRLOOM_DATA_DIR: one.dataDir }).stripeWebhookSecret).toBe(
        one.stripeWebhookSecret,
      );
      // Stripe mode still needs its own endpoint secret.
      expect(() => loadConfig({ STRIPE_SECRET_KEY: 'sk_test_x', HEIRLOOM_DATA_DIR: one.dataDir })).toThrow(
        /STRIPE_WEBHOOK_SECRET is required/,
      );

      // The old public constant signs nothing any more.
      const { orderId, paymentId } = await paidOrder();
      const before = await stateOf(orderId);
      const forged = chargeRefunded('whsec_heirloom_sandbox', {
        paymentId,
        orderId,
        amount: 2500,
        chargeId: 'ch_forged',
      });
      const response = await postEvent(api, forged);
      expect(response.status).toBe(400);
      expect(response.body.type).toBe(PROBLEM + 'invalid-webhook');
      expect(await stateOf(orderId)).toEqual(before);
    });
  });

  describe('with the installation’s real secret', () => {
    it('a charge.refunded naming a made-up payment_intent and another buyer’s order changes nothing', async () => {
      const victim = await paidOrder();
      const before = await stateOf(victim.orderId);
      expect(before.token.owner_id).toBe(victim.buyer.id);
      const forged = signedEvent(stolenSecret, 'charge.refunded', {
        id: 'ch_forged',
        object: 'charge',
        payment_intent: madeUpIntent(),
        amount: 2500,
        amount_refunded: 2500,
        currency: 'usd',
        metadata: { order_id: victim.orderId },
      });
      const response = await postEvent(api, forged);
      expect(response.status).toBe(200); // acknowledged, so the sender does not retry forever
      expect(await stateOf(victim.orderId)).toEqual(before);
      expect(before.order.status).toBe('paid');
      const stored = await storedEvent(JSON.parse(forged.payload).id);
      expect(stored).toMatchObject({ outcome: 'ignored', ignored_reason: 'unknown-payment' });
      expect(stored.processed_at).not.toBeNull();
    });

    it('a charge.dispute.created naming a made-up payment_intent does not freeze another buyer’s token', async () => {
      const victim = await paidOrder();
      const before = await stateOf(victim.orderId);
      const forged = signedEvent(stolenSecret, 'charge.dispute.created', {
        id: 'dp_forged',
        object: 'dispute',
        payment_intent: madeUpIntent(),
        charge: 'ch_forged',
        amount: 2500,
        currency: 'usd',
        status: 'needs_response',
        metadata: { order_id: victim.orderId },
      });
      expect((await postEvent(api, forged)).status).toBe(200);
      const after = await stateOf(victim.orderId);
      expect(after).toEqual(before);
      expect(after.token.status).toBe('active');
      expect(after.order.status).toBe('paid');
      expect(await storedEvent(JSON.parse(forged.payload).id)).toMatchObject({
        outcome: 'ignored',
        ignored_reason: 'unknown-payment',
      });
    });

    it('a refund of the real payment in another currency, or for more than was paid, changes nothing', async () => {
      const victim = await paidOrder();
      const before = await stateOf(victim.orderId);
      const refund = (currency: string, amount: number) =>
        signedEvent(stolenSecret, 'charge.refunded', {
          id: 'ch_x',
          object: 'charge',
          payment_intent: victim.paymentId,
          amount,
          amount_refunded: amount,
          currency,
          metadata: { order_id: victim.orderId },
        });
      const otherCurrency = refund('eur', 2500);
      const tooMuch = refund('usd', 2501);
      for (const event of [otherCurrency, tooMuch]) expect((await postEvent(api, event)).status).toBe(200);
      expect(await stateOf(victim.orderId)).toEqual(before);
      expect((await storedEvent(JSON.parse(otherCurrency.payload).id)).ignored_reason).toBe(
        'currency-mismatch',
      );
      expect((await storedEvent(JSON.parse(tooMuch.payload).id)).ignored_reason).toBe(
        'amount-exceeds-payment',
      );
    });

    it('a payment_intent.succeeded naming a made-up intent and the sender’s own reserved order does not sell', async () => {
      const { orderId } = await reservedOrder(2500);
      const before = await stateOf(orderId);
      const succeeded = (amount: number, currency: string) =>
        signedEvent(stolenSecret, 'payment_intent.succeeded', {
          id: madeUpIntent(),
          object: 'payment_intent',
          amount,
          currency,
          status: 'succeeded',
          metadata: { order_id: orderId },
        });
      // The exact amount and currency, as a timed-out checkout's real payment would carry.
      const exact = succeeded(2500, 'usd');
      const cheap = succeeded(1, 'usd');
      const foreign = succeeded(2500, 'jpy');
      for (const event of [exact, cheap, foreign]) expect((await postEvent(api, event)).status).toBe(200);
      expect(await stateOf(orderId)).toEqual(before);
      expect(before.order).toMatchObject({ status: 'reserved', payment_id: null });
      expect(before.token.owner_id).toBe(creator.id);
      // The payment processor (the sandbox's books) has no such payment.
      for (const event of [exact, cheap, foreign])
        expect(await storedEvent(JSON.parse(event.payload).id)).toMatchObject({
          outcome: 'ignored',
          ignored_reason: 'unconfirmed-payment',
        });
      expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
    });

    it('a real payment for a reserved order binds it by metadata; then a made-up one does not match', async () => {
      const { orderId, tokenId } = await reservedOrder(2500);
      const provider = testApp.app.get<PaymentProvider>(PAYMENT_PROVIDER);
      // The processor charged for this order, but checkout never heard back (like a timeout).
      const outcome = await provider.createPayment({
        orderId,
        amount: 2500,
        currency: 'usd',
        idempotencyKey: `order:${orderId}:lost`,
        card: cardCheckout({}).card,
      });
      expect(outcome.status).toBe('succeeded');
      await expect.poll(async () => (await stateOf(orderId)).order.status).toBe('paid');
      expect((await stateOf(orderId)).order.payment_id).toBe(outcome.paymentId);
      expect((await query(`SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id).not.toBe(
        creator.id,
      );
      // Once bound, a later success naming another payment does not match it.
      const another = signedEvent(stolenSecret, 'payment_intent.succeeded', {
        id: madeUpIntent(),
        object: 'payment_intent',
        amount: 2500,
        currency: 'usd',
        status: 'succeeded',
        metadata: { order_id: orderId },
      });
      await postEvent(api, another);
      expect((await storedEvent(JSON.parse(another.payload).id)).ignored_reason).toBe(
        'order-has-another-payment',
      );
      expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
    });
  });

  describe('events as received', () => {
    it('keeps the raw signed body and headers, shown to operators and auditors only', async () => {
      const { orderId } = await paidOrder();
      const [row] = await query(
        `SELECT id, raw_body, signature, content_type FROM payment_events
         WHERE order_id = $1 AND type = 'payment_intent.succeeded'`,
        [orderId],
      );
      expect(row.raw_body).toBeInstanceOf(Buffer);
      expect(row.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}/);
      // The stored bytes are exactly what was signed.
      const verified = Stripe.webhooks.constructEvent(row.raw_body, row.signature, stolenSecret, 10 ** 9);
      expect(verified.id).toBe(row.id);

      const shown = await api('GET', `/operator/payment-events/${row.id}`, { token: operator.token });
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({
        id: row.id,
        type: 'payment_intent.succeeded',
        orderId,
        outcome: 'settled',
        ignoredReason: null,
        rawBody: row.raw_body.toString('utf8'),
        signature: row.signature,
      });
      const auditor = await createUser(testApp, api, ['auditor']);
      expect((await api('GET', `/operator/payment-events/${row.id}`, { token: auditor.token })).status).toBe(
        200,
      );
      const buyer = await createUser(testApp, api);
      expect((await api('GET', `/operator/payment-events/${row.id}`, { token: buyer.token })).status).toBe(
        403,
      );
      expect(
        (await api('POST', `/operator/payment-events/${row.id}/redeliver`, { token: auditor.token })).status,
      ).toBe(403);
      const missing = await api('GET', `/operator/payment-events/evt_nothing_here`, {
        token: operator.token,
      });
      expect(missing.status).toBe(404);
      expect(missing.body.type).toBe(PROBLEM + 'not-found');

      // A webhook delivered over HTTP keeps its headers too.
      const forged = signedEvent(stolenSecret, 'customer.created', { id: 'cus_1', object: 'customer' });
      await postEvent(api, forged);
      expect(await storedEvent(JSON.parse(forged.payload).id)).toMatchObject({
        content_type: 'application/json',
        signature: forged.signature,
        outcome: 'ignored',
        ignored_reason: 'unhandled-event-type',
      });
      expect((await storedEvent(JSON.parse(forged.payload).id)).raw_body.toString('utf8')).toBe(
        forged.payload,
      );
    });

    it('re-delivers a stored event through the receiver: applied once, and again changes nothing', async () => {
      const { orderId, tokenId } = await reservedOrder(2500);
      // The processor (the sandbox's books) charged for this order; checkout never heard back.
      const paymentId = await chargedInSandbox(orderId, 2500);
      // Stored as received but never applied, as a crash right after storing leaves it.
      const event = signedEvent(stolenSecret, 'payment_intent.succeeded', {
        id: paymentId,
        object: 'payment_intent',
        amount: 2500,
        currency: 'usd',
        status: 'succeeded',
        metadata: { order_id: orderId },
      });
      const eventId = JSON.parse(event.payload).id;
      await query(
        `INSERT INTO payment_events (id, type, payment_id, order_id, payload, raw_body, signature, content_type)
         VALUES ($1, 'payment_intent.succeeded', $2, $3, $4, convert_to($5, 'UTF8'), $6, 'application/json')`,
        [
          eventId,
          JSON.parse(event.payload).data.object.id,
          orderId,
          JSON.stringify(normaliseStripeEvent(JSON.parse(event.payload))),
          event.payload,
          event.signature,
        ],
      );
      const redeliver = () =>
        api('POST', `/operator/payment-events/${eventId}/redeliver`, { token: operator.token });
      const first = await redeliver();
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ id: eventId, outcome: 'settled', rawBody: event.payload });
      const sold = await stateOf(orderId);
      expect(sold.order.status).toBe('paid');
      expect(sold.token.owner_id).not.toBe(creator.id);

      for (let i = 0; i < 2; i++) {
        const again = await redeliver();
        expect(again.status).toBe(200);
        expect(again.body.outcome).toBe('settled');
      }
      expect(await stateOf(orderId)).toEqual(sold);
      expect(
        await query(`SELECT count(*)::int AS n FROM journal_entries WHERE order_id = $1 AND kind = 'sale'`, [
          orderId,
        ]),
      ).toEqual([{ n: 1 }]);
      expect((await query(`SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id).toBe(
        sold.order.buyer_id,
      );

      // A stored body that no longer matches its signature is not re-delivered.
      await query(`UPDATE payment_events SET raw_body = raw_body || ' '::bytea WHERE id = $1`, [eventId]);
      const tampered = await redeliver();
      expect(tampered.status).toBe(409);
      expect(tampered.body.type).toBe(PROBLEM + 'event-unverifiable');
      // Events stored before raw bodies were kept cannot be.
      await query(`UPDATE payment_events SET raw_body = NULL WHERE id = $1`, [eventId]);
      expect((await redeliver()).body.type).toBe(PROBLEM + 'event-not-redeliverable');
      expect(
        (await api('POST', `/operator/payment-events/evt_none/redeliver`, { token: operator.token })).status,
      ).toBe(404);
    });
  });
});
