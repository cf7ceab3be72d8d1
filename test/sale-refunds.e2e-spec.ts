import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerCore } from '../libs/ledger/src/index.js';
import { RefundService } from '../libs/settlement/src/index.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import {
  cardCheckout,
  CARDS,
  disputeFor,
  journalImbalance,
  listedEdition,
  postEvent,
  signedEvent,
} from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';
import { storedEntriesOf } from './support/ledger.js';

const PRICE = 3000;

describe('refunds and disputes from the operator console (e2e, sandbox rail)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let auditor: TestUser;

  const orderOf = async (orderId: string) =>
    (await sql(testApp.databaseUrl, `SELECT status FROM orders WHERE id = $1`, [orderId]))[0].status;
  const tokenRow = async (tokenId: string) =>
    (await sql(testApp.databaseUrl, `SELECT owner_id, status FROM tokens WHERE id = $1`, [tokenId]))[0];
  const journalKinds = async (orderId: string) =>
    (
      await sql(testApp.databaseUrl, `SELECT kind FROM journal_entries WHERE order_id = $1 ORDER BY id`, [
        orderId,
      ])
    ).map((row) => row.kind as string);
  /** Sends due refunds until the journal shows `kind` for the order (the processor's event books it). */
  const refundBooked = async (orderId: string, kind: string) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      await testApp.app.get(RefundService).sendPending();
      if ((await journalKinds(orderId)).includes(kind)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no ${kind} booked for ${orderId}: ${await journalKinds(orderId)}`);
  };
  const sale = async (card = CARDS.visa) => {
    const { listingId, tokenId } = await listedEdition(api, creator, PRICE);
    const buyer = await createUser(testApp, api);
    const paid = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, card),
    });
    expect(paid.body.status).toBe('paid');
    return { orderId: paid.body.orderId as string, paymentId: paid.body.paymentId as string, tokenId, buyer };
  };
  const refund = (orderId: string, body: Record<string, unknown>, as = operator) =>
    api('POST', `/operator/orders/${orderId}/refund`, { token: as.token, body });

  beforeAll(async () => {
    // Disputes come from signed events here, not from the sandbox's own timer.
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
  });
  afterAll(() => testApp?.close());

  it('refunds part of a sale: the journal reverses that share, the token stays with the buyer', async () => {
    const { orderId, tokenId, buyer } = await sale();
    expectProblem(
      await refund(orderId, { amountMinor: 1000, reason: 'not mine' }, auditor),
      403,
      'forbidden',
    );
    expectProblem(await refund(orderId, { amountMinor: 1000, reason: 'x' }, buyer), 403, 'forbidden');
    expectProblem(await refund(orderId, { amountMinor: 1000, reason: ' ' }), 400, 'validation-failed');
    expectProblem(
      await refund(orderId, { amountMinor: PRICE + 1, reason: 'too much' }),
      422,
      'refund-exceeds-payment',
    );

    const started = await refund(orderId, { amountMinor: 1000, reason: 'Image differs from the preview' });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ orderId, amountMinor: 1000, currency: 'USD', status: 'pending' });
    expectProblem(await refund(orderId, { reason: 'again' }), 409, 'refund-exists');
    await refundBooked(orderId, 'refund:1000');
    expect(await orderOf(orderId)).toBe('paid');
    expect(await tokenRow(tokenId)).toEqual({ owner_id: buyer.id, status: 'active' });
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);

    const trail = await api('GET', `/operator/actions?subject=${orderId}`, { token: auditor.token });
    expect(trail.body.items).toMatchObject([
      {
        ref: started.body.actionRef,
        action: 'order.refund',
        subjectKind: 'order',
        reason: 'Image differs from the preview',
      },
    ]);
  });

  it('refunds a whole sale: the token reverts to its creator on the ledger and is on sale again', async () => {
    const { orderId, tokenId } = await sale();
    expect((await refund(orderId, { reason: 'Buyer was charged twice' })).status).toBe(202);
    await refundBooked(orderId, `refund:${PRICE}`);
    expect(await orderOf(orderId)).toBe('refunded');
    expect(await tokenRow(tokenId)).toEqual({ owner_id: creator.id, status: 'active' });
    const entries = await storedEntriesOf(testApp.databaseUrl, tokenId);
    expect(entries.map((e) => `${e.type}:${e.ref ?? ''}`).slice(1)).toEqual([
      `sale:${orderId}`,
      `revert:${orderId}`,
    ]);
    const page = await api('GET', `/catalogue/tokens/${tokenId}`);
    expect(page.body.offer).toMatchObject({ priceMinor: PRICE, available: true });
    expectProblem(await refund(orderId, { reason: 'again' }), 409, 'order-not-refundable');
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('refunds a whole sale of a token given away since: the money goes back, its new holder keeps it', async () => {
    const { orderId, tokenId, buyer } = await sale();
    const friend = await createUser(testApp, api);
    const gift = await api('POST', `/tokens/${tokenId}/gift`, {
      token: buyer.token,
      body: { toHandle: friend.handle, idempotencyKey: `gift-${orderId}` },
    });
    expect(gift.status, JSON.stringify(gift.body)).toBe(200);
    expect((await refund(orderId, { reason: 'Charged twice' })).status).toBe(202);
    await refundBooked(orderId, `refund:${PRICE}`);
    expect(await orderOf(orderId)).toBe('refunded');
    expect(await tokenRow(tokenId)).toEqual({ owner_id: friend.id, status: 'active' });
    const entries = await storedEntriesOf(testApp.databaseUrl, tokenId);
    expect(entries.map((e) => e.type)).toEqual(['mint', 'sale', 'transfer']);
    const replayed = ledgerCore.replayEntries(entries.map((entry, index) => ({ index, entry })));
    expect(replayed.violations).toEqual([]);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('lists open disputes for operators and auditors, and leaves disputed sales to the dispute', async () => {
    const { orderId, paymentId, tokenId, buyer } = await sale(CARDS.disputed);
    const secret = testApp.config.stripeWebhookSecret;
    const dispute = disputeFor({ orderId, paymentId }, PRICE);
    expect((await postEvent(api, signedEvent(secret, 'charge.dispute.created', dispute))).status).toBe(200);
    expect(await tokenRow(tokenId)).toEqual({ owner_id: buyer.id, status: 'frozen' });

    for (const reader of [operator, auditor]) {
      const open = await api('GET', '/operator/disputes', { token: reader.token });
      expect(open.status).toBe(200);
      const listed = open.body.find((d: { orderId: string }) => d.orderId === orderId);
      expect(listed).toMatchObject({ tokenId, amountMinor: PRICE, currency: 'USD', paymentId });
      expect(Date.parse(listed.openedAt)).toBeGreaterThan(Date.now() - 60_000);
    }
    expectProblem(await api('GET', '/operator/disputes', { token: buyer.token }), 403, 'forbidden');
    expectProblem(await refund(orderId, { reason: 'refund instead' }), 409, 'order-not-refundable');
    const unfreeze = await api('POST', `/operator/tokens/${tokenId}/unfreeze`, {
      token: operator.token,
      body: { reason: 'looks fine' },
    });
    expectProblem(unfreeze, 409, 'dispute-open');

    const closed = { ...dispute, status: 'won' };
    expect((await postEvent(api, signedEvent(secret, 'charge.dispute.closed', closed))).status).toBe(200);
    const after = await api('GET', '/operator/disputes', { token: operator.token });
    expect(after.body.map((d: { orderId: string }) => d.orderId)).not.toContain(orderId);
    expect(await tokenRow(tokenId)).toEqual({ owner_id: buyer.id, status: 'active' });
  });

  it("lets operators and auditors find a buyer's or a token's orders, and nobody else", async () => {
    const { orderId, tokenId, buyer } = await sale();
    const expected = {
      orderId,
      token: expect.objectContaining({ tokenId }),
      buyerHandle: buyer.handle,
      sellerHandle: creator.handle,
      amountMinor: PRICE,
      currency: 'USD',
      status: 'paid',
    };
    for (const as of [operator, auditor]) {
      const byBuyer = await api('GET', `/operator/orders?buyer=${buyer.handle}`, { token: as.token });
      expect(byBuyer.status).toBe(200);
      expect(byBuyer.body.items).toEqual([expect.objectContaining(expected)]);
      const byToken = await api('GET', `/operator/orders?tokenId=${tokenId}&status=paid`, {
        token: as.token,
      });
      expect(byToken.body.items).toEqual([expect.objectContaining(expected)]);
    }
    const none = await api('GET', `/operator/orders?tokenId=${tokenId}&status=refunded`, {
      token: operator.token,
    });
    expect(none.body).toEqual({ items: [], nextCursor: null });
    expectProblem(await api('GET', '/operator/orders', { token: buyer.token }), 403, 'forbidden');
  });

  it('refuses a refund of an unknown or unpaid order', async () => {
    expectProblem(await refund('00000000-0000-4000-8000-000000000000', { reason: 'none' }), 404, 'not-found');
    const { listingId } = await listedEdition(api, creator, PRICE);
    const buyer = await createUser(testApp, api);
    const declined = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, CARDS.declined),
    });
    expectProblem(
      await refund(declined.body.orderId, { reason: 'declined anyway' }),
      409,
      'order-not-refundable',
    );
  });
});
