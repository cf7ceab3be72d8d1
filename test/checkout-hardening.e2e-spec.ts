import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawWinners } from '../libs/market/src/index.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, listedEdition, openDrop } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type ApiResponse, type Client } from './support/http.js';

const PROBLEM = 'https://heirloom.dev/problems/';
const CAP = 2; // MAX_UNPAID_HOLDS's default

/** A reserve-only checkout body: no card, no payment method (the Payment Element flow's first step). */
const reserveOnly = (target: { listingId?: string; dropId?: string }) => ({
  ...target,
  idempotencyKey: `hold-${randomUUID()}`,
});

function expectProblem(response: ApiResponse, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.body.type).toBe(PROBLEM + code);
}

describe('checkout and drops, hardened (e2e): unpaid holds, wrong ids, private lotteries', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  const holdsOf = async (buyer: TestUser) =>
    (
      await sql(
        testApp.databaseUrl,
        `SELECT count(*)::int AS n FROM listings WHERE reserved_for = $1 AND reserved_until > now() AND status = 'active'`,
        [buyer.id],
      )
    )[0].n as number;
  const checkout = (buyer: TestUser, body: unknown, target = api) =>
    target('POST', '/checkout', { token: buyer.token, body });

  beforeAll(async () => {
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(() => testApp.close());

  it('lets one account hold at most the cap of unpaid editions, then says how to go on', async () => {
    const { dropId } = await openDrop(api, creator, 6);
    const buyer = await createUser(testApp, api);
    const answers: ApiResponse[] = [];
    for (let i = 0; i < 6; i++) answers.push(await checkout(buyer, reserveOnly({ dropId })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 409, 409, 409, 409]);
    for (const refused of answers.slice(CAP)) {
      expectProblem(refused, 409, 'unpaid-hold-limit');
      expect(refused.body.detail).toMatch(/pay for one.*or wait until one expires/);
      expect(refused.body.maxUnpaidHolds).toBe(CAP);
    }
    expect(await holdsOf(buyer)).toBe(CAP);
    // The cap is per account, across the platform: a listing elsewhere is refused too.
    const { listingId } = await listedEdition(api, creator, 900);
    expectProblem(await checkout(buyer, reserveOnly({ listingId })), 409, 'unpaid-hold-limit');

    // Paying for a hold frees a place; so does a hold that lapses.
    const { card } = cardCheckout({});
    const paid = await api('POST', `/orders/${answers[0].body.orderId}/pay`, {
      token: buyer.token,
      body: { card },
    });
    expect(paid.body.status).toBe('paid');
    expect((await checkout(buyer, reserveOnly({ listingId }))).body.status).toBe('reserved');
    expectProblem(await checkout(buyer, reserveOnly({ dropId })), 409, 'unpaid-hold-limit');
    await sql(
      testApp.databaseUrl,
      `UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1`,
      [answers[1].body.orderId],
    );
    expect((await checkout(buyer, reserveOnly({ dropId }))).status).toBe(201);
  });

  it('keeps concurrent reservations within the cap, across paths and API instances', async () => {
    const second = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' });
    try {
      const { dropId } = await openDrop(api, creator, 12);
      const listings = await Promise.all([1, 2, 3].map(() => listedEdition(api, creator, 700)));
      const buyer = await createUser(testApp, api);
      const apis = [api, client(second.url)];
      // Six at the drop (batched together on each instance) and three listings, all at once.
      const answers = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) => checkout(buyer, reserveOnly({ dropId }), apis[i % 2])),
        ...listings.map(({ listingId }, i) => checkout(buyer, reserveOnly({ listingId }), apis[i % 2])),
      ]);
      const granted = answers.filter((a) => a.status === 201);
      expect(granted).toHaveLength(CAP);
      for (const refused of answers.filter((a) => a.status !== 201)) {
        expectProblem(refused, 409, 'unpaid-hold-limit');
      }
      expect(await holdsOf(buyer)).toBe(CAP);
      const [{ n }] = await sql(
        testApp.databaseUrl,
        `SELECT count(*)::int AS n FROM orders WHERE buyer_id = $1`,
        [buyer.id],
      );
      expect(n).toBe(CAP);
    } finally {
      await second.close();
    }
  });

  it('counts unpaid holds toward the drop’s per-buyer limit, until they lapse', async () => {
    const { dropId } = await openDrop(api, creator, 4, { priceMinor: 1200, perBuyerLimit: 1 });
    const buyer = await createUser(testApp, api);
    const first = await checkout(buyer, reserveOnly({ dropId }));
    expect(first.body.status).toBe('reserved');
    expectProblem(await checkout(buyer, reserveOnly({ dropId })), 409, 'buyer-limit-reached');
    expectProblem(await checkout(buyer, cardCheckout({ dropId })), 409, 'buyer-limit-reached');
    await sql(
      testApp.databaseUrl,
      `UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1`,
      [first.body.orderId],
    );
    expect((await checkout(buyer, cardCheckout({ dropId }))).body.status).toBe('paid');
    expectProblem(await checkout(buyer, reserveOnly({ dropId })), 409, 'buyer-limit-reached');
  });

  it('releases the hold of a payment attempt the rail refuses, with a short answer', async () => {
    const { dropId } = await openDrop(api, creator, 1);
    const buyer = await createUser(testApp, api);
    const other = await createUser(testApp, api);
    // The request from the issue: refused at the edge, so nothing is held and nothing echoed.
    const huge = await checkout(buyer, {
      ...reserveOnly({ dropId }),
      paymentMethodId: 'pm_' + 'x'.repeat(5000),
    });
    expect(huge.status).toBeGreaterThanOrEqual(400);
    expect(huge.status).toBeLessThan(500);
    expect(JSON.stringify(huge.body).length).toBeLessThan(1000);
    expect(JSON.stringify(huge.body)).not.toContain('x'.repeat(200));
    expect(await holdsOf(buyer)).toBe(0);

    // A well-formed method the sandbox does not know: reserved, refused by the rail, released.
    const body = { ...reserveOnly({ dropId }), paymentMethodId: 'pm_' + 'y'.repeat(240) };
    const unknown = await checkout(buyer, body);
    expectProblem(unknown, 400, 'payment-request-invalid');
    expect(unknown.body.detail).toMatch(/reservation was released/);
    expect(JSON.stringify(unknown.body).length).toBeLessThan(600);
    expect(await holdsOf(buyer)).toBe(0);
    // A retry with the key answers with the failed order; the edition is on sale again.
    expect((await checkout(buyer, body)).body).toMatchObject({
      status: 'failed',
      declineCode: 'payment_request_invalid',
    });
    const reserved = await checkout(other, reserveOnly({ dropId }));
    expect(reserved.body.status).toBe('reserved');

    // The same on the second step of reserve-then-pay.
    const pay = await api('POST', `/orders/${reserved.body.orderId}/pay`, {
      token: other.token,
      body: { paymentMethodId: 'pm_unknown_method' },
    });
    expectProblem(pay, 400, 'payment-request-invalid');
    expect(await holdsOf(other)).toBe(0);
    expect((await checkout(buyer, cardCheckout({ dropId }))).body.status).toBe('paid');
  });

  it('answers unknown, wrong-kind and null ids with 404 or 400, never "sold or reserved"', async () => {
    const buyer = await createUser(testApp, api);
    const { dropId } = await openDrop(api, creator, 1);
    const [{ id: dropListingId }] = await sql(
      testApp.databaseUrl,
      `SELECT id FROM listings WHERE drop_id = $1`,
      [dropId],
    );
    const { listingId } = await listedEdition(api, creator, 800);

    expectProblem(await checkout(buyer, cardCheckout({ listingId: randomUUID() })), 404, 'not-found');
    expectProblem(await checkout(buyer, cardCheckout({ dropId: randomUUID() })), 404, 'not-found');
    const listingAsDrop = await checkout(buyer, cardCheckout({ dropId: listingId }));
    expectProblem(listingAsDrop, 404, 'not-found');
    expect(listingAsDrop.body.detail).toMatch(/listing's id: send it as listingId/);
    const dropAsListing = await checkout(buyer, cardCheckout({ listingId: dropId }));
    expectProblem(dropAsListing, 404, 'not-found');
    expect(dropAsListing.body.detail).toMatch(/drop's id: send it as dropId/);
    const editionOfDrop = await checkout(buyer, cardCheckout({ listingId: dropListingId }));
    expectProblem(editionOfDrop, 400, 'listing-in-drop');
    expect(editionOfDrop.body.dropId).toBe(dropId);

    for (const target of [
      { listingId: null },
      { dropId: null },
      { listingId: null, dropId },
      { dropId: null, listingId },
    ]) {
      expectProblem(await checkout(buyer, { ...cardCheckout({}), ...target }), 400, 'validation-failed');
    }
    expectProblem(await checkout(buyer, cardCheckout({})), 400, 'bad-checkout');
    expectProblem(await checkout(buyer, cardCheckout({ listingId, dropId })), 400, 'bad-checkout');
    // Nothing was reserved or ordered for any of them.
    expect(await holdsOf(buyer)).toBe(0);
    expect(await sql(testApp.databaseUrl, `SELECT 1 FROM orders WHERE buyer_id = $1`, [buyer.id])).toEqual(
      [],
    );
  });

  it('keeps a lottery fair and private: no creator entries, tickets instead of account ids', async () => {
    const { dropId } = await openDrop(api, creator, 2, {
      priceMinor: 1000,
      mode: 'lottery',
      entriesCloseAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expectProblem(await api('POST', `/drops/${dropId}/entries`, { token: creator.token }), 403, 'own-drop');

    const entrants = await Promise.all([1, 2, 3].map(() => createUser(testApp, api)));
    const tickets = new Map<string, string>();
    for (const entrant of entrants) {
      const entry = await api('POST', `/drops/${dropId}/entries`, { token: entrant.token });
      expect(entry.body).toMatchObject({
        dropId,
        entered: true,
        ticket: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
      tickets.set(entrant.id, entry.body.ticket);
    }
    const again = await api('POST', `/drops/${dropId}/entries`, { token: entrants[0].token });
    expect(again.body.ticket).toBe(tickets.get(entrants[0].id));

    const anonymous = await api('GET', `/drops/${dropId}`);
    expect(anonymous.body).toMatchObject({ entrantCount: 3, winnerCount: 0, winningTickets: [], seed: null });
    expect([...anonymous.body.tickets].sort()).toEqual([...tickets.values()].sort());
    expect(anonymous.body).not.toHaveProperty('yourEntry');
    const everyId = [creator, ...entrants].map((user) => user.id);
    for (const id of everyId) expect(JSON.stringify(anonymous.body)).not.toContain(id);

    const own = await api('GET', `/drops/${dropId}`, { token: entrants[1].token });
    expect(own.body.yourEntry).toEqual({
      entered: true,
      ticket: tickets.get(entrants[1].id),
      won: null,
      status: 'pending',
      claimUntil: null,
    });
    const stranger = await createUser(testApp, api);
    const notIn = await api('GET', `/drops/${dropId}`, { token: stranger.token });
    expect(notIn.body.yourEntry).toEqual({
      entered: false,
      ticket: null,
      won: null,
      status: 'not-entered',
      claimUntil: null,
    });
    expect(notIn.body.tickets).toEqual(anonymous.body.tickets);

    await sql(
      testApp.databaseUrl,
      `UPDATE drops SET entries_close_at = now() - interval '1 second' WHERE id = $1`,
      [dropId],
    );
    const draw = await api('POST', `/drops/${dropId}/draw`, { token: creator.token });
    const { seed, winningTickets } = draw.body as { seed: string; winningTickets: string[] };
    expect(winningTickets).toEqual(drawWinners(Buffer.from(seed, 'hex'), draw.body.tickets, 2));
    expect(draw.body).toMatchObject({ entrantCount: 3, winnerCount: 2 });
    for (const id of everyId) expect(JSON.stringify(draw.body)).not.toContain(id);
    for (const entrant of entrants) {
      const view = await api('GET', `/drops/${dropId}`, { token: entrant.token });
      expect(view.body.yourEntry.won).toBe(winningTickets.includes(tickets.get(entrant.id)!));
    }
  });
});
