import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, openDrop } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';

const PROBLEM = 'https://heirloom.dev/problems/';
const EDITIONS = 10;
const ENTRANTS = 30;

/** The draw as anyone can recompute it: tickets ranked by SHA-256(seed ‖ ticket bytes), lowest first. */
function recomputeWinners(seedHex: string, tickets: string[], editions: number): string[] {
  const seed = Buffer.from(seedHex, 'hex');
  return tickets
    .map((ticket) => ({
      ticket,
      rank: createHash('sha256').update(seed).update(Buffer.from(ticket, 'hex')).digest('hex'),
    }))
    .sort((a, b) => (a.rank < b.rank ? -1 : 1))
    .slice(0, editions)
    .map((entry) => entry.ticket);
}

describe('lottery drop (e2e): committed seed, entries, draw, claims', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(() => testApp.close());

  /** A started lottery drop (one edition per buyer, entries open for an hour) of `editions` new editions. */
  const createLotteryDrop = (editions: number) =>
    openDrop(api, creator, editions, {
      priceMinor: 1000,
      mode: 'lottery',
      perBuyerLimit: 1,
      entriesCloseAt: new Date(Date.now() + 3_600_000).toISOString(),
    });

  it('publishes the seed hash first, draws verifiable winners, and lets only winners claim', async () => {
    const { dropId, drop } = await createLotteryDrop(EDITIONS);
    const seedHash: string = drop.seedHash;
    expect(seedHash).toMatch(/^[0-9a-f]{64}$/);
    // Public before any entry: the commitment, never the seed.
    const before = await api('GET', `/drops/${dropId}`);
    expect(before.body).toMatchObject({
      seedHash,
      seed: null,
      entrantCount: 0,
      tickets: [],
      winningTickets: [],
      editions: EDITIONS,
    });

    const buyers = await Promise.all(Array.from({ length: ENTRANTS }, () => createUser(testApp, api)));
    const early = await api('POST', '/checkout', { token: buyers[0].token, body: cardCheckout({ dropId }) });
    expect(early.status).toBe(409);
    expect(early.body.type).toBe(PROBLEM + 'lottery-not-drawn');

    // Each entry gets a random ticket; the draw runs over tickets, so no account id is published.
    const buyerOfTicket = new Map<string, string>();
    const entries = await Promise.all(
      buyers.map((b) => api('POST', `/drops/${dropId}/entries`, { token: b.token })),
    );
    entries.forEach((response, i) => {
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        dropId,
        entered: true,
        ticket: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
      buyerOfTicket.set(response.body.ticket, buyers[i].id);
    });
    // Entering twice is one entry, with the same ticket.
    const twice = await api('POST', `/drops/${dropId}/entries`, { token: buyers[1].token });
    expect(twice.body.ticket).toBe(entries[1].body.ticket);
    const tooSoon = await api('POST', `/drops/${dropId}/draw`, { token: creator.token });
    expect(tooSoon.body.type).toBe(PROBLEM + 'entries-open');
    const notYours = await api('POST', `/drops/${dropId}/draw`, { token: buyers[0].token });
    expect(notYours.status).toBe(403);
    const open = await api('GET', `/drops/${dropId}`);
    expect(open.body).toMatchObject({ seedHash, seed: null, winningTickets: [], entrantCount: ENTRANTS });
    expect(open.body.tickets).toHaveLength(ENTRANTS);

    // The entry window closes (moved in the database rather than waited for).
    await sql(
      testApp.databaseUrl,
      `UPDATE drops SET entries_close_at = now() - interval '1 second' WHERE id = $1`,
      [dropId],
    );
    const late = await api('POST', `/drops/${dropId}/entries`, {
      token: (await createUser(testApp, api)).token,
    });
    expect(late.body.type).toBe(PROBLEM + 'entries-closed');

    const draw = await api('POST', `/drops/${dropId}/draw`, { token: creator.token });
    expect(draw.status).toBe(200);
    const { seed, tickets, winningTickets } = draw.body as {
      seed: string;
      tickets: string[];
      winningTickets: string[];
    };
    expect(createHash('sha256').update(Buffer.from(seed, 'hex')).digest('hex')).toBe(seedHash);
    expect([...tickets].sort()).toEqual([...buyerOfTicket.keys()].sort());
    expect(winningTickets).toEqual(recomputeWinners(seed, tickets, EDITIONS));
    expect(draw.body).toMatchObject({ entrantCount: ENTRANTS, winnerCount: EDITIONS });
    const expected = winningTickets.map((ticket) => buyerOfTicket.get(ticket)!);
    // Editions are allocated in listing-id order to the winners in rank order.
    const allocations = await sql(
      testApp.databaseUrl,
      `SELECT l.allocated_to, l.token_id FROM listings l WHERE l.drop_id = $1 ORDER BY l.id`,
      [dropId],
    );
    expect(allocations.map((a) => a.allocated_to)).toEqual(expected);
    // Drawing again changes nothing; the public view shows the same result.
    expect((await api('POST', `/drops/${dropId}/draw`, { token: creator.token })).body).toEqual(draw.body);
    expect((await api('GET', `/drops/${dropId}`)).body).toEqual(draw.body);

    const byId = new Map(buyers.map((b) => [b.id, b]));
    const winnerUsers = expected.map((id) => byId.get(id)!);
    const losers = buyers.filter((b) => !expected.includes(b.id));
    const checkout = (buyer: TestUser) =>
      api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ dropId }) });

    // Winners are told once (drawing again added nothing); the others are not told they won.
    for (const buyer of buyers) {
      const notices = await api('GET', '/me/notifications', { token: buyer.token });
      const won = notices.body.items.filter((n: { kind: string }) => n.kind === 'lottery.won');
      if (!expected.includes(buyer.id)) expect(won).toEqual([]);
      else
        expect(won).toEqual([
          expect.objectContaining({
            subjectKind: 'drop',
            subjectId: dropId,
            readAt: null,
            data: {
              dropId,
              claimUntil: expect.any(String),
            },
          }),
        ]);
    }

    // Non-winners cannot buy while winners hold their allocations.
    for (const response of await Promise.all(losers.map(checkout))) {
      expect(response.status).toBe(409);
      expect(response.body.type).toBe(PROBLEM + 'sold-out');
    }
    // Eight winners claim (the first one double-clicks); each gets exactly the edition allocated to them.
    const claimers = winnerUsers.slice(0, 8);
    const [claims, doubleClick] = await Promise.all([
      Promise.all(claimers.map(checkout)),
      checkout(claimers[0]),
    ]);
    const tokenOf = new Map(allocations.map((a) => [a.allocated_to, a.token_id]));
    const firstTwo = [claims[0], doubleClick].map((r) => r.status).sort();
    expect(firstTwo).toEqual([201, 409]);
    claims[0] = claims[0].status === 201 ? claims[0] : doubleClick;
    claims.forEach((response, i) => {
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ status: 'paid', tokenId: tokenOf.get(claimers[i].id) });
    });

    // The claim window ends: unclaimed editions open to everyone, within the per-buyer limit.
    await sql(
      testApp.databaseUrl,
      `UPDATE listings SET allocated_until = now() - interval '1 second' WHERE drop_id = $1`,
      [dropId],
    );
    const again = await checkout(claimers[1]);
    expect(again.status).toBe(409);
    expect(again.body.type).toBe(PROBLEM + 'buyer-limit-reached');
    const leftovers = await Promise.all(losers.slice(0, 3).map(checkout));
    expect(leftovers.map((r) => (r.status === 201 ? r.body.status : r.body.type)).sort()).toEqual([
      PROBLEM + 'sold-out',
      'paid',
      'paid',
    ]);

    const paid = await sql(
      testApp.databaseUrl,
      `SELECT buyer_id, count(*)::int AS n FROM orders WHERE drop_id = $1 AND status = 'paid' GROUP BY buyer_id`,
      [dropId],
    );
    expect(paid).toHaveLength(EDITIONS);
    expect(paid.every((row) => row.n === 1)).toBe(true);
    expect((await api('GET', `/drops/${dropId}`)).body.available).toBe(0);
  });

  it('puts editions nobody won on open sale when the lottery is undersubscribed', async () => {
    const { dropId } = await createLotteryDrop(5);
    const entrants = await Promise.all(Array.from({ length: 3 }, () => createUser(testApp, api)));
    for (const buyer of entrants) await api('POST', `/drops/${dropId}/entries`, { token: buyer.token });
    await sql(
      testApp.databaseUrl,
      `UPDATE drops SET entries_close_at = now() - interval '1 second' WHERE id = $1`,
      [dropId],
    );
    const draw = await api('POST', `/drops/${dropId}/draw`, { token: creator.token });
    expect([...draw.body.winningTickets].sort()).toEqual([...draw.body.tickets].sort());
    expect(draw.body).toMatchObject({ entrantCount: 3, winnerCount: 3 });

    const checkout = (buyer: TestUser) =>
      api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ dropId }) });
    const outsiders = await Promise.all(Array.from({ length: 3 }, () => createUser(testApp, api)));
    const results = await Promise.all([...entrants, ...outsiders].map(checkout));
    // Every winner gets their edition; the two unallocated ones go to outsiders, first come.
    results.slice(0, 3).forEach((response) => expect(response.body.status).toBe('paid'));
    expect(
      results
        .slice(3)
        .map((r) => (r.status === 201 ? r.body.status : r.body.type))
        .sort(),
    ).toEqual([PROBLEM + 'sold-out', 'paid', 'paid']);
  });
});
