import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from './support/app.js';
import {
  cardCheckout,
  chargeRefunded,
  journalImbalance,
  listedEdition,
  listToken,
  postEvent,
} from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';

/** Splits at the default fees (processor 2.9 % + 30, platform 5 %), worked out by hand. */
const PRIMARY = { price: 3000, processor: 117, platform: 150, seller: 2733 };
const FIRST_SALE = { price: 1000, processor: 59, platform: 50, seller: 891 };
/** A resale at 4000 of a collection with a 5 % royalty: 116 + 30, 200, 200, the rest. */
const RESALE = { price: 4000, processor: 146, platform: 200, royalty: 200, seller: 3454 };

describe('earnings and payouts (e2e, sandbox rails on real PostgreSQL)', () => {
  let testApp: TestApp;
  /** The same database read with a 7-day refund window. */
  let heldApp: TestApp;
  let api: Client;
  let held: Client;
  let operator: TestUser;
  let auditor: TestUser;

  const buy = async (target: { listingId: string }) => {
    const buyer = await createUser(testApp, api);
    const body = cardCheckout({ listingId: target.listingId });
    const paid = await api('POST', '/checkout', { token: buyer.token, body });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe('paid');
    return { orderId: paid.body.orderId as string, paymentId: paid.body.paymentId as string, buyer };
  };
  /** A new creator whose 1-of-1 sold at `price` (a primary sale). */
  const creatorWhoSold = async (price = PRIMARY.price) => {
    const creator = await createUser(testApp, api, ['creator']);
    const { listingId } = await listedEdition(api, creator, price);
    return { creator, ...(await buy({ listingId })) };
  };
  const earnings = (as: TestUser, on = api) => on('GET', '/me/earnings', { token: as.token });
  const balance = async (as: TestUser, on = api) =>
    (await earnings(as, on)).body.balances.find((b: { currency: string }) => b.currency === 'USD');
  const payout = (as: TestUser, amountMinor: number, idempotencyKey = `po-${randomUUID()}`, on = api) =>
    on('POST', '/me/payouts', { token: as.token, body: { amountMinor, currency: 'USD', idempotencyKey } });
  const journalKinds = async (payoutId: string) =>
    (
      await sql(testApp.databaseUrl, `SELECT kind FROM journal_entries WHERE kind LIKE $1 ORDER BY id`, [
        `%:${payoutId}`,
      ])
    ).map((row) => row.kind as string);

  beforeAll(async () => {
    testApp = await startTestApp({ EARNINGS_HOLD_DAYS: '0' });
    heldApp = await startTestApp({ EARNINGS_HOLD_DAYS: '7' }, testApp.databaseUrl, { jobs: false });
    api = client(testApp.url);
    held = client(heldApp.url);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
  });
  afterAll(async () => {
    await heldApp?.close();
    await testApp?.close();
  });

  it('a resale pays the seller, the creator’s royalty and the fees exactly', async () => {
    const creator = await createUser(testApp, api, ['creator']);
    const collection = await createCollection(api, creator, { royaltyBps: 500 });
    const { tokenIds } = await mintEditions(api, creator, collection.id, 2);
    const first = await buy(await listToken(api, creator, tokenIds[0], FIRST_SALE.price));
    const collector = first.buyer;
    const resale = await buy(await listToken(api, collector, tokenIds[0], RESALE.price));

    const sellerView = (await earnings(collector)).body;
    expect(sellerView.balances).toEqual([
      { currency: 'USD', pendingMinor: 0, availableMinor: RESALE.seller, inTransitMinor: 0, paidOutMinor: 0 },
    ]);
    expect(sellerView.sales).toEqual([
      expect.objectContaining({
        orderId: resale.orderId,
        tokenId: tokenIds[0],
        role: 'seller',
        priceMinor: RESALE.price,
        platformFeeMinor: RESALE.platform,
        processorFeeMinor: RESALE.processor,
        royaltyMinor: RESALE.royalty,
        proceedsMinor: RESALE.seller,
        earnedMinor: RESALE.seller,
        refundedMinor: 0,
      }),
    ]);

    const creatorView = (await earnings(creator)).body;
    expect(creatorView.sales.map((s: any) => [s.orderId, s.role, s.earnedMinor, s.proceedsMinor])).toEqual([
      [resale.orderId, 'creator', RESALE.royalty, RESALE.seller],
      [first.orderId, 'seller', FIRST_SALE.seller, FIRST_SALE.seller],
    ]);
    expect(creatorView.sales[1]).toMatchObject({
      royaltyMinor: 0,
      platformFeeMinor: FIRST_SALE.platform,
      processorFeeMinor: FIRST_SALE.processor,
    });
    expect(creatorView.balances[0].availableMinor).toBe(FIRST_SALE.seller + RESALE.royalty);

    // The journal's sale entry of the resale, line by line.
    const lines = await sql(
      testApp.databaseUrl,
      `SELECT l.account, l.amount_minor::int AS amount FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
       WHERE e.order_id = $1 AND e.kind = 'sale' ORDER BY l.account`,
      [resale.orderId],
    );
    expect(lines).toEqual(
      [
        { account: 'asset:processor-clearing', amount: RESALE.price },
        { account: `liability:payable:${collector.id}`, amount: -RESALE.seller },
        { account: `liability:payable:${creator.id}`, amount: -RESALE.royalty },
        { account: 'liability:processor-fees', amount: -RESALE.processor },
        { account: 'revenue:platform-fees', amount: -RESALE.platform },
      ].sort((a, b) => (a.account < b.account ? -1 : 1)),
    );
  });

  it('pays out at most the available balance, once per key, also under 20 concurrent requests', async () => {
    const { creator } = await creatorWhoSold();
    const first = await payout(creator, 1000, 'first-payout');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ amountMinor: 1000, currency: 'USD', status: 'paid', rail: 'sandbox' });
    const again = await payout(creator, 1000, 'first-payout');
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expectProblem(await payout(creator, 999, 'first-payout'), 409, 'idempotency-key-reused');
    const tooMuch = await payout(creator, PRIMARY.seller - 1000 + 1);
    expectProblem(tooMuch, 422, 'payout-exceeds-available');
    expect(tooMuch.body.availableMinor).toBe(PRIMARY.seller - 1000);

    // 1733 available: 20 racing requests of 100 → exactly 17 paid, 3 refused.
    const racing = await Promise.all(Array.from({ length: 20 }, () => payout(creator, 100)));
    expect(racing.filter((r) => r.status === 201)).toHaveLength(17);
    for (const refused of racing.filter((r) => r.status !== 201)) {
      expectProblem(refused, 422, 'payout-exceeds-available');
    }
    // 20 racing retries of one key → one payout.
    const sameKey = await Promise.all(Array.from({ length: 20 }, () => payout(creator, 33, 'racing-key')));
    expect(new Set(sameKey.map((r) => r.body.id)).size).toBe(1);
    expect(sameKey.every((r) => r.status === 201)).toBe(true);

    expect(await balance(creator)).toEqual({
      currency: 'USD',
      pendingMinor: 0,
      availableMinor: 0,
      inTransitMinor: 0,
      paidOutMinor: PRIMARY.seller,
    });
    expectProblem(await payout(creator, 1), 422, 'payout-exceeds-available');
    const [paid] = await sql(
      testApp.databaseUrl,
      `SELECT count(*)::int AS n, sum(amount_minor)::int AS total FROM payouts WHERE account_id = $1`,
      [creator.id],
    );
    expect(paid).toEqual({ n: 19, total: PRIMARY.seller });
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);

    const page = await api('GET', '/me/payouts?limit=5', { token: creator.token });
    expect(page.body.items).toHaveLength(5);
    const rest = await api('GET', `/me/payouts?limit=100&cursor=${page.body.nextCursor}`, {
      token: creator.token,
    });
    expect(rest.body.nextCursor).toBeNull();
    expect(new Set([...page.body.items, ...rest.body.items].map((p: { id: string }) => p.id)).size).toBe(19);
  });

  it('holds earnings inside the refund window', async () => {
    const { creator } = await creatorWhoSold();
    expect(await balance(creator, held)).toMatchObject({ pendingMinor: PRIMARY.seller, availableMinor: 0 });
    expectProblem(await payout(creator, 100, undefined, held), 422, 'payout-exceeds-available');
    const sale = (await earnings(creator, held)).body.sales[0];
    expect(Date.parse(sale.availableFrom) - Date.parse(sale.bookedAt)).toBe(7 * 86_400_000);
    expect(await balance(creator)).toMatchObject({ pendingMinor: 0, availableMinor: PRIMARY.seller });
  });

  it('a refund after a payout leaves a negative balance that the next earnings repay', async () => {
    const { creator, orderId, paymentId } = await creatorWhoSold();
    expect((await payout(creator, PRIMARY.seller)).body.status).toBe('paid');
    const refund = chargeRefunded(testApp.config.stripeWebhookSecret, {
      paymentId,
      orderId,
      amount: PRIMARY.price,
    });
    expect((await postEvent(api, refund)).status).toBe(200);
    expect(await balance(creator)).toMatchObject({
      availableMinor: -PRIMARY.seller,
      paidOutMinor: PRIMARY.seller,
    });
    expect((await earnings(creator)).body.sales[0]).toMatchObject({ orderId, refundedMinor: PRIMARY.price });
    expectProblem(await payout(creator, 1), 422, 'payout-exceeds-available');

    const { listingId } = await listedEdition(api, creator, 4000);
    await buy({ listingId });
    const repaid = 4000 - 146 - 200 - PRIMARY.seller;
    expect(await balance(creator)).toMatchObject({ availableMinor: repaid });
    expectProblem(await payout(creator, repaid + 1), 422, 'payout-exceeds-available');
    expect((await payout(creator, repaid)).body.status).toBe('paid');
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });

  it('a failed sandbox payout returns its amount to the balance', async () => {
    const { creator } = await creatorWhoSold();
    const failed = await payout(creator, 1013);
    expect(failed.status).toBe(201);
    expect(failed.body).toMatchObject({ status: 'failed', failureCode: 'account-closed', railRef: null });
    expect(await balance(creator)).toEqual({
      currency: 'USD',
      pendingMinor: 0,
      availableMinor: PRIMARY.seller,
      inTransitMinor: 0,
      paidOutMinor: 0,
    });
    expect(await journalKinds(failed.body.id)).toEqual([
      `payout:${failed.body.id}`,
      `payout-failed:${failed.body.id}`,
    ]);
    expect((await payout(creator, PRIMARY.seller)).body.status).toBe('paid');
  });

  it('operators pay every available balance once per run; auditors read and change nothing', async () => {
    const { creator } = await creatorWhoSold();
    const runKey = `run-${randomUUID()}`;
    const asAuditor = { token: auditor.token };
    const payoutsBefore = await sql(testApp.databaseUrl, `SELECT count(*)::int AS n FROM payouts`);
    expectProblem(
      await api('POST', '/operator/payouts/run', { ...asAuditor, body: { runKey } }),
      403,
      'forbidden',
    );
    expectProblem(await payout(auditor, 100), 422, 'payout-exceeds-available');
    expect(await sql(testApp.databaseUrl, `SELECT count(*)::int AS n FROM payouts`)).toEqual(payoutsBefore);

    const run = await api('POST', '/operator/payouts/run', {
      token: operator.token,
      body: { runKey, reason: 'Weekly payout' },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const mine = run.body.payouts.filter((p: { accountId: string }) => p.accountId === creator.id);
    expect(mine).toMatchObject([{ amountMinor: PRIMARY.seller, status: 'paid', runKey }]);
    expect(await balance(creator)).toMatchObject({ availableMinor: 0, paidOutMinor: PRIMARY.seller });

    const rerun = await api('POST', '/operator/payouts/run', { token: operator.token, body: { runKey } });
    expect(rerun.body.payouts.map((p: { id: string }) => p.id)).toEqual(
      run.body.payouts.map((p: { id: string }) => p.id),
    );
    const listed = await api('GET', `/operator/payouts?accountId=${creator.id}`, asAuditor);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual([mine[0].id]);
    const trail = await api('GET', `/operator/actions?subject=payout-run:${runKey}`, asAuditor);
    expect(trail.body.items).toMatchObject([
      { action: 'payout.run', subjectKind: 'platform', reason: 'Weekly payout' },
    ]);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  });
});
