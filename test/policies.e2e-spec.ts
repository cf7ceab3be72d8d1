import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefundService } from '../libs/settlement/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, journalImbalance, listedEdition, openDrop } from './support/checkout.js';
import { createCollection, createUser, verifyRealName, type TestUser } from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';

const PRICE = 3000;

/**
 * Platform policies set at run time. Its own database: a platform-wide policy would change what
 * every other test's checkouts see.
 */
describe('platform policies set by operators at run time (e2e)', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let auditor: TestUser;

  const setPolicies = (body: Record<string, unknown>, as = operator) =>
    api('PUT', '/operator/policies', { token: as.token, body });
  const buy = async (buyer: TestUser, target: { listingId?: string; dropId?: string }) =>
    api('POST', '/checkout', { token: buyer.token, body: cardCheckout(target) });
  /** The order's journal lines summed per account (all its entries: sale, refunds). */
  const netByAccount = async (orderId: string) =>
    Object.fromEntries(
      (
        await sql(
          testApp.databaseUrl,
          `SELECT l.account, sum(l.amount_minor)::int AS total FROM journal_entries e
           JOIN journal_lines l ON l.entry_id = e.id WHERE e.order_id = $1 GROUP BY l.account`,
          [orderId],
        )
      ).map((row) => [row.account, row.total]),
    );

  const holdDaysOfNew = async (overrides: Record<string, unknown> = {}) =>
    ((await createCollection(api, creator, overrides)) as unknown as { policy: { holdDays: number } }).policy
      .holdDays;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    testApp = await startTestApp({}, scratch.url);
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch?.drop();
  });

  it('publishes the policies and lets only operators change them, with a reason kept in the trail', async () => {
    const start = await api('GET', '/policies');
    expect(start.status).toBe(200);
    expect(start.body).toEqual({
      platformFeeBps: 500,
      defaultHoldDays: 0,
      realNameRequired: false,
      version: 0,
      setAt: null,
    });
    expect(
      (await api('PUT', '/operator/policies', { body: { reason: 'x', platformFeeBps: 1 } })).status,
    ).toBe(401);
    expectProblem(await setPolicies({ platformFeeBps: 100, reason: 'mine' }, auditor), 403, 'forbidden');
    expectProblem(await setPolicies({ platformFeeBps: 100, reason: 'mine' }, creator), 403, 'forbidden');
    for (const bad of [
      { platformFeeBps: 6000, reason: 'too much' },
      { platformFeeBps: 1.5, reason: 'fraction' },
      { defaultHoldDays: -1, reason: 'negative' },
      { realNameRequired: 'yes', reason: 'not a boolean' },
      { platformFeeBps: 100 },
      { platformFeeBps: 100, reason: '   ' },
    ]) {
      expectProblem(await setPolicies(bad), 400, 'validation-failed');
    }
    expect((await api('GET', '/policies')).body.version).toBe(0);

    const set = await setPolicies({ defaultHoldDays: 7, reason: 'Launch rules' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({
      platformFeeBps: 500,
      defaultHoldDays: 7,
      realNameRequired: false,
      version: 1,
    });
    expect((await api('GET', '/policies')).body).toEqual(set.body);
    const trail = await api('GET', '/operator/actions?action=policy.set', { token: auditor.token });
    expect(trail.body.items[0]).toMatchObject({
      action: 'policy.set',
      subjectKind: 'platform',
      subjectId: 'policy-v1',
      reason: 'Launch rules',
      actorId: operator.id,
    });
  });

  it('gives new collections the default hold period unless their creator sets one', async () => {
    await setPolicies({ defaultHoldDays: 30, reason: 'Cool-off month' });
    expect(await holdDaysOfNew()).toBe(30);
    expect(await holdDaysOfNew({ policy: { holdDays: 0 } })).toBe(0);
    await setPolicies({ defaultHoldDays: 0, reason: 'Back to none' });
    expect(await holdDaysOfNew()).toBe(0);
  });

  it('charges the fee in force when a sale settles; a refund reverses a sale exactly as it was booked', async () => {
    const early = await listedEdition(api, creator, PRICE);
    const buyer = await createUser(testApp, api);
    const first = await buy(buyer, { listingId: early.listingId });
    expect(first.body.status).toBe('paid');
    const firstReceipt = await api('GET', `/orders/${first.body.orderId}/receipt`, { token: buyer.token });
    expect(firstReceipt.body.breakdown.platformFeeMinor).toBe(150); // 5 %

    await setPolicies({ platformFeeBps: 1000, reason: 'New fee schedule' });
    const later = await listedEdition(api, creator, PRICE);
    const second = await buy(buyer, { listingId: later.listingId });
    const secondReceipt = await api('GET', `/orders/${second.body.orderId}/receipt`, { token: buyer.token });
    expect(secondReceipt.body.breakdown.platformFeeMinor).toBe(300); // 10 %
    expect(firstReceipt.body.breakdown.platformFeeMinor).toBe(150);

    // The first sale, booked at 5 %, refunded in full after the change: everything it booked is undone.
    const refund = await api('POST', `/operator/orders/${first.body.orderId}/refund`, {
      token: operator.token,
      body: { reason: 'Buyer changed their mind' },
    });
    expect(refund.status, JSON.stringify(refund.body)).toBe(202);
    for (let attempt = 0; attempt < 100; attempt++) {
      await testApp.app.get(RefundService).sendPending();
      const [order] = await sql(testApp.databaseUrl, `SELECT status FROM orders WHERE id = $1`, [
        first.body.orderId,
      ]);
      if (order.status === 'refunded') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const net = await netByAccount(first.body.orderId);
    expect(net['revenue:platform-fees']).toBe(0);
    expect(net[`liability:payable:${creator.id}`]).toBe(0);
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
    await setPolicies({ platformFeeBps: 500, reason: 'Back to the old fee' });
  });

  it('requires real-name verification of every buyer and gift while the platform says so', async () => {
    await setPolicies({ realNameRequired: true, reason: 'Regulator notice 2026-12' });
    const { listingId, tokenId } = await listedEdition(api, creator, PRICE);
    const { dropId } = await openDrop(api, creator, 2);
    const unverified = await createUser(testApp, api);
    expectProblem(await buy(unverified, { listingId }), 403, 'forbidden');
    expectProblem(await buy(unverified, { dropId }), 403, 'forbidden');

    const verified = await createUser(testApp, api);
    await verifyRealName(api, verified);
    expect((await buy(verified, { listingId })).body.status).toBe('paid');
    expect((await buy(verified, { dropId })).body.status).toBe('paid');
    const gift = await api('POST', `/tokens/${tokenId}/gift`, {
      token: verified.token,
      body: { toHandle: unverified.handle, idempotencyKey: `gift-${randomUUID()}` },
    });
    expectProblem(gift, 409, 'real-name-required');

    await setPolicies({ realNameRequired: false, reason: 'Notice withdrawn' });
    expect((await buy(unverified, { dropId })).body.status).toBe('paid');
  });
});
