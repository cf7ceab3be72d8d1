import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from './support/app.js';
import {
  cardCheckout,
  CARDS,
  disputeFor,
  listedEdition,
  postEvent,
  signedEvent,
} from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';
import { storedEntriesOf } from './support/ledger.js';

const PRICE = 1800;

interface Notice {
  id: string;
  kind: string;
  subjectKind: string;
  subjectId: string;
  data: Record<string, unknown>;
  readAt: string | null;
}

describe('notifications and freeze appeals (e2e)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let auditor: TestUser;

  const noticesOf = async (user: TestUser, query = '') => {
    const response = await api('GET', `/me/notifications${query}`, { token: user.token });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as { items: Notice[]; nextCursor: string | null; unread: number };
  };
  /** An edition bought by a new buyer; the creator sold it. */
  const sale = async (card = CARDS.visa) => {
    const { listingId, tokenId } = await listedEdition(api, creator, PRICE);
    const buyer = await createUser(testApp, api);
    const paid = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }, card),
    });
    expect(paid.body.status).toBe('paid');
    return { tokenId, buyer, orderId: paid.body.orderId as string, paymentId: paid.body.paymentId as string };
  };
  const operatorAct = (act: 'freeze' | 'unfreeze', tokenId: string, reason: string) =>
    api('POST', `/operator/tokens/${tokenId}/${act}`, { token: operator.token, body: { reason } });
  const appeal = (user: TestUser, tokenId: string, message = 'I bought it fairly; receipt attached') =>
    api('POST', `/tokens/${tokenId}/appeals`, { token: user.token, body: { message } });
  const decide = (appealId: string, decision: string, reason: string, as = operator) =>
    api('POST', `/operator/appeals/${appealId}/decide`, { token: as.token, body: { decision, reason } });

  beforeAll(async () => {
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
  });
  afterAll(() => testApp?.close());

  it('tells the seller of a sale and the receiver of a gift, each only their own, and marks them read', async () => {
    const { tokenId, buyer, orderId } = await sale();
    const sold = (await noticesOf(creator)).items.find((n) => n.subjectId === orderId);
    expect(sold).toMatchObject({
      kind: 'sale.completed',
      subjectKind: 'order',
      data: { orderId, tokenId, priceMinor: PRICE, currency: 'USD' },
      readAt: null,
    });

    const friend = await createUser(testApp, api);
    expect((await noticesOf(friend)).unread).toBe(0);
    const gift = await api('POST', `/tokens/${tokenId}/gift`, {
      token: buyer.token,
      body: { toHandle: friend.handle, idempotencyKey: `gift-${randomUUID()}` },
    });
    expect(gift.status, JSON.stringify(gift.body)).toBe(200);
    const received = await noticesOf(friend);
    expect(received).toMatchObject({ unread: 1, nextCursor: null });
    expect(received.items).toEqual([
      expect.objectContaining({
        kind: 'gift.received',
        subjectId: tokenId,
        data: { tokenId, giftId: gift.body.giftId, fromHandle: buyer.handle },
      }),
    ]);
    // The giver was told nothing about their own gift.
    expect((await noticesOf(buyer)).items.filter((n) => n.kind === 'gift.received')).toEqual([]);

    // Someone else's notice id marks nothing; one's own does, once.
    const id = received.items[0].id;
    const foreign = await api('POST', '/me/notifications/read', { token: buyer.token, body: { ids: [id] } });
    expect(foreign.body).toEqual({ marked: 0 });
    const mine = await api('POST', '/me/notifications/read', { token: friend.token, body: { ids: [id] } });
    expect(mine.body).toEqual({ marked: 1 });
    expect(await noticesOf(friend)).toMatchObject({ unread: 0 });
    expect((await noticesOf(friend, '?unread=true')).items).toEqual([]);
    const all = await api('POST', '/me/notifications/read', { token: creator.token, body: { all: true } });
    expect(all.body.marked).toBeGreaterThanOrEqual(1);
    expect((await noticesOf(creator)).unread).toBe(0);

    expect((await api('GET', '/me/notifications')).status).toBe(401);
    expectProblem(
      await api('POST', '/me/notifications/read', { token: friend.token, body: { ids: ['x'] } }),
      400,
      'validation-failed',
    );
  });

  it('pages notifications newest first', async () => {
    const { tokenId, buyer } = await sale();
    const friends = [await createUser(testApp, api), await createUser(testApp, api)];
    // The token goes back and forth: the buyer is told of each gift back.
    for (let i = 0; i < 3; i++) {
      const to = friends[i % 2];
      const from = i === 0 ? buyer : friends[(i + 1) % 2];
      const given = await api('POST', `/tokens/${tokenId}/gift`, {
        token: from.token,
        body: { toHandle: to.handle, idempotencyKey: `gift-${randomUUID()}` },
      });
      expect(given.status, JSON.stringify(given.body)).toBe(200);
    }
    const first = await noticesOf(friends[0], '?limit=1');
    expect(first.items).toHaveLength(1);
    expect(first.unread).toBe(2);
    const second = await noticesOf(friends[0], `?limit=1&cursor=${first.nextCursor}`);
    expect(second.items).toHaveLength(1);
    expect(Number(second.items[0].id)).toBeLessThan(Number(first.items[0].id));
    expect(second.nextCursor).toBeNull();
  });

  it('lets an owner appeal a freeze; an operator lifts it on the ledger, and the owner is told each step', async () => {
    const { tokenId, buyer } = await sale();
    expectProblem(await appeal(buyer, tokenId), 409, 'not-frozen');
    expect((await operatorAct('freeze', tokenId, 'Reported as stolen')).status).toBe(200);
    const frozen = (await noticesOf(buyer)).items.find((n) => n.kind === 'token.frozen');
    expect(frozen).toMatchObject({ subjectId: tokenId, data: { tokenId, reason: 'Reported as stolen' } });

    const stranger = await createUser(testApp, api);
    expectProblem(await appeal(stranger, tokenId), 403, 'forbidden');
    expectProblem(await appeal(buyer, 'tok_doesnotexist00'), 404, 'not-found');
    const made = await appeal(buyer, tokenId);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({
      tokenId,
      ownerHandle: buyer.handle,
      status: 'open',
      decidedAt: null,
      decisionReason: null,
    });
    expectProblem(await appeal(buyer, tokenId, 'again'), 409, 'appeal-open');

    for (const reader of [operator, auditor]) {
      const open = await api('GET', '/operator/appeals?limit=100', { token: reader.token });
      expect(open.status).toBe(200);
      expect(open.body.items.map((a: { id: string }) => a.id)).toContain(made.body.id);
    }
    expectProblem(await api('GET', '/operator/appeals', { token: buyer.token }), 403, 'forbidden');
    expectProblem(await decide(made.body.id, 'lift', 'ok', auditor), 403, 'forbidden');
    expectProblem(await decide(made.body.id, 'pardon', 'ok'), 400, 'validation-failed');
    expectProblem(await decide(randomUUID(), 'lift', 'ok'), 404, 'not-found');

    const lifted = await decide(made.body.id, 'lift', 'Receipt checks out');
    expect(lifted.status, JSON.stringify(lifted.body)).toBe(200);
    expect(lifted.body).toMatchObject({ status: 'lifted', decisionReason: 'Receipt checks out' });
    expect(lifted.body.decisionRef).toMatch(/^act_[0-9]+$/);
    const [token] = await sql(testApp.databaseUrl, `SELECT status, owner_id FROM tokens WHERE id = $1`, [
      tokenId,
    ]);
    expect(token).toEqual({ status: 'active', owner_id: buyer.id });
    const entries = await storedEntriesOf(testApp.databaseUrl, tokenId);
    expect(entries.at(-1)).toMatchObject({ type: 'unfreeze', ref: lifted.body.decisionRef });
    expectProblem(await decide(made.body.id, 'uphold', 'changed my mind'), 409, 'appeal-decided');

    const trail = await api('GET', `/operator/actions?subject=${tokenId}`, { token: auditor.token });
    expect(trail.body.items.map((a: { action: string }) => a.action)).toEqual([
      'appeal.lift',
      'token.freeze',
    ]);
    const notices = (await noticesOf(buyer)).items.map((n) => n.kind);
    expect(notices).toEqual(expect.arrayContaining(['token.unfrozen', 'appeal.decided', 'token.frozen']));
    const decided = (await noticesOf(buyer)).items.find((n) => n.kind === 'appeal.decided');
    expect(decided?.data).toEqual({
      appealId: made.body.id,
      tokenId,
      decision: 'lifted',
      reason: 'Receipt checks out',
    });
    const mine = await api('GET', '/me/appeals', { token: buyer.token });
    expect(mine.body.items).toEqual([lifted.body]);
  });

  it('upholds a freeze: the token stays frozen, the owner may appeal again later', async () => {
    const { tokenId, buyer } = await sale();
    await operatorAct('freeze', tokenId, 'Court order 2026-118');
    const made = await appeal(buyer, tokenId);
    const upheld = await decide(made.body.id, 'uphold', 'The court order stands');
    expect(upheld.body).toMatchObject({ status: 'upheld', decisionReason: 'The court order stands' });
    const [token] = await sql(testApp.databaseUrl, `SELECT status FROM tokens WHERE id = $1`, [tokenId]);
    expect(token.status).toBe('frozen');
    const decided = await api('GET', '/operator/appeals?status=upheld&limit=100', { token: operator.token });
    expect(decided.body.items.map((a: { id: string }) => a.id)).toContain(made.body.id);
    expect((await appeal(buyer, tokenId, 'New evidence')).status).toBe(201);
  });

  it('leaves a token frozen by a dispute to the dispute, and tells its owner of the freeze and its end', async () => {
    const { tokenId, buyer, orderId, paymentId } = await sale(CARDS.disputed);
    const secret = testApp.config.stripeWebhookSecret;
    const dispute = disputeFor({ orderId, paymentId }, PRICE);
    expect((await postEvent(api, signedEvent(secret, 'charge.dispute.created', dispute))).status).toBe(200);
    expectProblem(await appeal(buyer, tokenId), 409, 'dispute-open');
    const closed = { ...dispute, status: 'won' };
    expect((await postEvent(api, signedEvent(secret, 'charge.dispute.closed', closed))).status).toBe(200);
    const kinds = (await noticesOf(buyer)).items
      .filter((n) => n.subjectId === tokenId)
      .map((n) => `${n.kind}:${n.data.cause}`);
    expect(kinds).toEqual(['token.unfrozen:dispute', 'token.frozen:dispute']);
  });
});
