import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequencer } from '../libs/ledger/src/index.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import {
  CARDS,
  cardCheckout,
  chargeRefunded,
  listedEdition,
  listToken,
  openDrop,
  postEvent,
} from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';
import { integrateAll } from './support/ledger.js';

/** The split at the default fees (processor 2.9 % + 30, platform 5 %), worked out by hand. */
const PRIMARY = { price: 3000, processor: 117, platform: 150, royalty: 0, seller: 2733 };
/** A resale at 4000 of a collection with a 5 % royalty: 116 + 30, 200, 200, the rest. */
const RESALE = { price: 4000, processor: 146, platform: 200, royalty: 200, seller: 3454 };

describe('my orders and receipts (e2e, sandbox card rail on real PostgreSQL)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let auditor: TestUser;

  /** The ledger is integrated only when the test says so (jobs off), so `pending` can be seen. */
  const integrate = () => integrateAll(testApp.app.get(Sequencer), testApp.app.get(DataSource));
  const buy = async (buyer: TestUser, target: { listingId?: string; dropId?: string }, card = CARDS.visa) => {
    const response = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout(target, card) });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as { orderId: string; status: string; paymentId: string };
  };
  const receiptOf = (orderId: string, as: TestUser) =>
    api('GET', `/orders/${orderId}/receipt`, { token: as.token });
  const myOrders = (as: TestUser, query = '') => api('GET', `/me/orders${query}`, { token: as.token });
  const expectAddsUp = (receipt: Record<string, any>) => {
    const { platformFeeMinor, royaltyMinor, processorFeeMinor, sellerProceedsMinor } = receipt.breakdown;
    expect(platformFeeMinor + royaltyMinor + processorFeeMinor + sellerProceedsMinor).toBe(
      receipt.amountMinor,
    );
  };

  beforeAll(async () => {
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' }, undefined, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
  });
  afterAll(() => testApp?.close());

  it('gives a primary sale a receipt: the journal’s split, the card, and the ledger entry once integrated', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, PRIMARY.price);
    const buyer = await createUser(testApp, api);
    const { orderId, status } = await buy(buyer, { listingId });
    expect(status).toBe('paid');

    const pending = await receiptOf(orderId, buyer);
    expect(pending.status, JSON.stringify(pending.body)).toBe(200);
    expect(pending.body).toMatchObject({
      orderId,
      status: 'paid',
      token: { tokenId, name: 'Piece', editionNumber: 1, editionTotal: 1 },
      sellerHandle: creator.handle,
      buyerHandle: buyer.handle,
      amountMinor: PRIMARY.price,
      currency: 'USD',
      breakdown: {
        platformFeeMinor: PRIMARY.platform,
        royaltyMinor: 0,
        processorFeeMinor: PRIMARY.processor,
        sellerProceedsMinor: PRIMARY.seller,
      },
      card: { brand: 'visa', last4: '4242' },
      refundedMinor: 0,
      ledger: {
        status: 'pending',
        index: null,
        proof: null,
        history: `/ledger/tokens/${encodeURIComponent(tokenId)}/history`,
      },
    });
    expectAddsUp(pending.body);
    const [order] = await sql(testApp.databaseUrl, `SELECT paid_at FROM orders WHERE id = $1`, [orderId]);
    expect(pending.body.paidAt).toBe(new Date(order.paid_at).toISOString());

    await integrate();
    const receipt = (await receiptOf(orderId, buyer)).body;
    expect(receipt.ledger.status).toBe('integrated');
    expect(receipt.ledger.index).toEqual(expect.any(Number));
    // The proof link works, and the entry at that index is this order's sale.
    const proof = await api('GET', receipt.ledger.proof);
    expect(proof.status).toBe(200);
    expect(proof.body.index).toBe(receipt.ledger.index);
    const index = receipt.ledger.index as number;
    const entries = await api('GET', `/ledger/entries?start=${index}&end=${index + 1}`);
    expect(entries.body[0].entry).toMatchObject({ type: 'sale', token: tokenId, ref: orderId });
    const history = await api('GET', receipt.ledger.history);
    expect(history.body.entries.map((e: { index: number }) => e.index)).toContain(index);

    // Operators and auditors read it too; anyone else is told there is no such order.
    for (const reader of [operator, auditor])
      expect((await receiptOf(orderId, reader)).body).toEqual(receipt);
    expectProblem(await receiptOf(orderId, await createUser(testApp, api)), 404, 'not-found');
    expectProblem(await receiptOf(orderId, creator), 404, 'not-found');

    // The printable page: the same figures, in the reader's language, for the same readers.
    const page = (as: TestUser, query = '', headers: Record<string, string> = {}) =>
      api('GET', `/orders/${orderId}/receipt.html${query}`, { token: as.token, headers });
    const english = await page(buyer);
    expect(english.status).toBe(200);
    expect(english.headers.get('content-type')).toContain('text/html');
    const html = String(english.body);
    expect(html).toContain('$30.00');
    expect(html).toContain('$1.50'); // the platform fee
    expect(html).toContain(creator.handle);
    expect(html).toContain(`#${receipt.ledger.index}`);
    const chinese = String((await page(buyer, '', { 'accept-language': 'zh-CN,zh;q=0.9' })).body);
    expect(chinese).toContain('平台服务费');
    expect(String((await page(buyer, '?lang=en', { 'accept-language': 'zh-CN' })).body)).toContain(
      'Platform fee',
    );
    expectProblem(await page(buyer, '?lang=fr'), 400, 'validation-failed');
    expectProblem(await page(creator), 404, 'not-found');
    expectProblem(await receiptOf(randomUUID(), buyer), 404, 'not-found');
    expectProblem(await receiptOf('not-a-uuid', buyer), 400, 'bad-request');
  });

  it('shows the creator’s royalty on a resale’s receipt, and refunds so far', async () => {
    const collection = await createCollection(api, creator, { royaltyBps: 500 });
    const { tokenIds } = await mintEditions(api, creator, collection.id, 3, 'Tide');
    const { listingId } = await listToken(api, creator, tokenIds[1], 1000);
    const collector = await createUser(testApp, api);
    await buy(collector, { listingId });
    const resale = await listToken(api, collector, tokenIds[1], RESALE.price);
    const buyer = await createUser(testApp, api);
    const { orderId, paymentId } = await buy(buyer, { listingId: resale.listingId });

    const receipt = (await receiptOf(orderId, buyer)).body;
    expect(receipt).toMatchObject({
      token: { tokenId: tokenIds[1], name: 'Tide', editionNumber: 2, editionTotal: 3 },
      sellerHandle: collector.handle,
      buyerHandle: buyer.handle,
      amountMinor: RESALE.price,
      breakdown: {
        platformFeeMinor: RESALE.platform,
        royaltyMinor: RESALE.royalty,
        processorFeeMinor: RESALE.processor,
        sellerProceedsMinor: RESALE.seller,
      },
    });
    expectAddsUp(receipt);

    // A partial refund: the receipt says how much came back; the sale's split stays as booked.
    const refund = chargeRefunded(testApp.config.stripeWebhookSecret, {
      paymentId,
      orderId,
      amount: RESALE.price,
      refunded: 1000,
    });
    expect((await postEvent(api, refund)).status).toBe(200);
    const refunded = (await receiptOf(orderId, buyer)).body;
    expect(refunded).toMatchObject({ status: 'paid', refundedMinor: 1000, breakdown: receipt.breakdown });
  });

  it('lists a declined order without a receipt (409 no-receipt), and pages over several orders', async () => {
    const buyer = await createUser(testApp, api);
    const bought: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { listingId } = await listedEdition(api, creator, 1000 + i);
      bought.push((await buy(buyer, { listingId })).orderId);
    }
    const { listingId } = await listedEdition(api, creator, 2500);
    const declined = await buy(buyer, { listingId }, CARDS.declined);
    expect(declined.status).toBe('failed');
    // Someone else's order never shows up in mine.
    await buy(await createUser(testApp, api), { listingId });

    const all = await myOrders(buyer, '?limit=10');
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.items.map((item: { orderId: string }) => item.orderId)).toEqual([
      declined.orderId,
      ...[...bought].reverse(),
    ]);
    expect(all.body.items[0]).toMatchObject({
      orderId: declined.orderId,
      token: { editionNumber: 1, editionTotal: 1 },
      amountMinor: 2500,
      currency: 'USD',
      status: 'failed',
      nextStep: 'none',
      paidAt: null,
      receipt: null,
    });
    expect(all.body.items[1]).toMatchObject({
      status: 'paid',
      amountMinor: 1002,
      nextStep: 'none',
      paidAt: expect.any(String),
      receipt: `/orders/${bought[2]}/receipt`,
    });
    expectProblem(await receiptOf(declined.orderId, buyer), 409, 'no-receipt');

    // Pages of two, newest first, each order once.
    const first = await myOrders(buyer, '?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await myOrders(buyer, `?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.nextCursor).toBeNull();
    expect([...first.body.items, ...second.body.items]).toEqual(all.body.items);

    const failed = await myOrders(buyer, '?status=failed');
    expect(failed.body.items.map((item: { orderId: string }) => item.orderId)).toEqual([declined.orderId]);
    const paid = await myOrders(buyer, '?status=paid&limit=1');
    expect(paid.body.items.map((item: { orderId: string }) => item.orderId)).toEqual([bought[2]]);

    expectProblem(await myOrders(buyer, '?cursor=garbage'), 400, 'validation-failed');
    expectProblem(await myOrders(buyer, '?status=lost'), 400, 'validation-failed');
    expectProblem(await myOrders(buyer, '?limit=0'), 400, 'validation-failed');
    expect((await api('GET', '/me/orders')).status).toBe(401);
    expect((await myOrders(await createUser(testApp, api))).body).toEqual({ items: [], nextCursor: null });
  });

  it('tells a lottery entrant pending, then won (with the claim deadline) or not drawn', async () => {
    const { dropId } = await openDrop(api, creator, 1, {
      priceMinor: 1000,
      mode: 'lottery',
      perBuyerLimit: 1,
      entriesCloseAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const entrants = [await createUser(testApp, api), await createUser(testApp, api)];
    for (const entrant of entrants) {
      expect((await api('POST', `/drops/${dropId}/entries`, { token: entrant.token })).status).toBe(201);
    }
    const entryOf = async (user: TestUser) =>
      (await api('GET', `/drops/${dropId}`, { token: user.token })).body.yourEntry;
    for (const entrant of entrants) {
      expect(await entryOf(entrant)).toMatchObject({
        entered: true,
        won: null,
        status: 'pending',
        claimUntil: null,
      });
    }

    await sql(
      testApp.databaseUrl,
      `UPDATE drops SET entries_close_at = now() - interval '1 second' WHERE id = $1`,
      [dropId],
    );
    const draw = await api('POST', `/drops/${dropId}/draw`, { token: creator.token });
    expect(draw.body.winnerCount).toBe(1);
    const [first, second] = await Promise.all(entrants.map(entryOf));
    const [winner, loser] = first.won ? [entrants[0], entrants[1]] : [entrants[1], entrants[0]];
    const won = first.won ? first : second;
    const lost = first.won ? second : first;
    expect(won).toMatchObject({ entered: true, won: true, status: 'won' });
    expect(Date.parse(won.claimUntil) - Date.now()).toBeGreaterThan(
      testApp.config.lotteryClaimSeconds * 1000 - 60_000,
    );
    expect(lost).toEqual({
      entered: true,
      ticket: lost.ticket,
      won: false,
      status: 'not-drawn',
      claimUntil: null,
    });
    expect(draw.body.winningTickets).toEqual([won.ticket]);
    expect((await entryOf(await createUser(testApp, api))).status).toBe('not-entered');

    // The loser cannot buy; the winner claims, after which there is no deadline left to show.
    expect(
      (await api('POST', '/checkout', { token: loser.token, body: cardCheckout({ dropId }) })).status,
    ).toBe(409);
    expect((await buy(winner, { dropId })).status).toBe('paid');
    expect(await entryOf(winner)).toMatchObject({ status: 'won', claimUntil: null });
    expect((await entryOf(loser)).status).toBe('not-drawn');
  });
});
