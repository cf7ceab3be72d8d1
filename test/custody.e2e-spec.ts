import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, listToken } from './support/checkout.js';
import {
  createCollection,
  createUser,
  mintEditions,
  verifyRealName,
  type TestUser,
} from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';
import { storedEntriesOf } from './support/ledger.js';

const PRICE = 2500;

describe('custody (e2e): holdings, gifts, listings withdrawn and repriced, operators freeze and burn', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let auditor: TestUser;

  /** The token's ledger entries as `type#seq ref`. */
  const entriesOf = async (tokenId: string) =>
    (await storedEntriesOf(testApp.databaseUrl, tokenId)).map(
      (e) => `${e.type}#${e.seq}${e.ref ? ` ${e.ref}` : ''}`,
    );
  const listingStatus = async (listingId: string) =>
    (await sql(testApp.databaseUrl, `SELECT status FROM listings WHERE id = $1`, [listingId]))[0].status;
  const holdings = async (user: TestUser, query = '') => {
    const response = await api('GET', `/me/holdings${query}`, { token: user.token });
    expect(response.status).toBe(200);
    return response.body as { items: { tokenId: string; listing: unknown }[]; nextCursor: string | null };
  };
  const gift = (from: TestUser, tokenId: string, to: TestUser, idempotencyKey = `gift-${randomUUID()}`) =>
    api('POST', `/tokens/${tokenId}/gift`, {
      token: from.token,
      body: { toHandle: to.handle, idempotencyKey },
    });
  const operatorAct = (act: 'freeze' | 'unfreeze' | 'burn', tokenId: string, reason: string, as = operator) =>
    api('POST', `/operator/tokens/${tokenId}/${act}`, { token: as.token, body: { reason } });

  /** A token of a fresh collection (with `policy`), bought by a new buyer at PRICE. */
  async function boughtToken(
    policy: Record<string, unknown> = {},
    prepareBuyer?: (buyer: TestUser) => Promise<void>,
  ) {
    const collection = await createCollection(api, creator, { policy });
    const { tokenIds } = await mintEditions(api, creator, collection.id, 2);
    const { listingId } = await listToken(api, creator, tokenIds[0], PRICE);
    const buyer = await createUser(testApp, api);
    await prepareBuyer?.(buyer);
    const paid = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe('paid');
    return { tokenId: tokenIds[0], otherTokenId: tokenIds[1], buyer, collectionId: collection.id };
  }

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
  });
  afterAll(() => testApp?.close());

  it('gives a bought token to another account by handle: ledger transfer, holdings of both, idempotent retry', async () => {
    const { tokenId, buyer } = await boughtToken();
    expect((await holdings(buyer)).items.map((item) => item.tokenId)).toEqual([tokenId]);
    const friend = await createUser(testApp, api);
    const key = `gift-${randomUUID()}`;

    const given = await gift(buyer, tokenId, friend, key);
    expect(given.status, JSON.stringify(given.body)).toBe(200);
    expect(given.body).toMatchObject({ tokenId, fromHandle: buyer.handle, toHandle: friend.handle });
    expect((await entriesOf(tokenId)).slice(-1)).toEqual([`transfer#2 ${given.body.giftId}`]);
    expect((await holdings(buyer)).items).toEqual([]);
    const friends = await holdings(friend);
    expect(friends.items).toMatchObject([
      { tokenId, status: 'active', listing: null, certificate: `/ledger/tokens/${tokenId}/certificate` },
    ]);

    // A retry answers the same gift and moves nothing; the key reused for another gift is refused.
    const retried = await gift(buyer, tokenId, friend, key);
    expect(retried.status).toBe(200);
    expect(retried.body.giftId).toBe(given.body.giftId);
    expect(await entriesOf(tokenId)).toHaveLength(3);
    expectProblem(await gift(buyer, tokenId, creator, key), 409, 'idempotency-key-reused');
    // The former owner cannot give it again; nor can anyone give to themselves or to nobody.
    expectProblem(await gift(buyer, tokenId, creator), 403, 'forbidden');
    expectProblem(await gift(friend, tokenId, friend), 422, 'gift-to-self');
    const nobody = await api('POST', `/tokens/${tokenId}/gift`, {
      token: friend.token,
      body: { toHandle: 'no_such_handle', idempotencyKey: `gift-${randomUUID()}` },
    });
    expectProblem(nobody, 404, 'not-found');
    expectProblem(await gift(friend, 'tok_missing', buyer), 404, 'not-found');
  });

  it('makes concurrent gifts together, each checked and answered on its own', async () => {
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 12);
    const friends = [await createUser(testApp, api), await createUser(testApp, api)];
    const stranger = await createUser(testApp, api);
    const sameKey = `gift-${randomUUID()}`;
    const requests = [
      // Ten good gifts of distinct tokens, alternating recipients.
      ...tokenIds.slice(0, 10).map((tokenId, i) => gift(creator, tokenId, friends[i % 2])),
      // One gift sent five times with one key: made once, answered five times alike.
      ...Array.from({ length: 5 }, () => gift(creator, tokenIds[10], friends[0], sameKey)),
      // Refused alone: not the owner, to nobody, to oneself, a missing token.
      gift(stranger, tokenIds[11], friends[0]),
      api('POST', `/tokens/${tokenIds[11]}/gift`, {
        token: creator.token,
        body: { toHandle: 'no_such_handle', idempotencyKey: `gift-${randomUUID()}` },
      }),
      gift(creator, tokenIds[11], creator),
      gift(creator, 'tok_missing', friends[1]),
    ];
    const answers = await Promise.all(requests);
    answers.slice(0, 10).forEach((answer, i) => {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toMatchObject({ tokenId: tokenIds[i], toHandle: friends[i % 2].handle });
    });
    const repeated = answers.slice(10, 15);
    for (const answer of repeated) expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(new Set(repeated.map((answer) => answer.body.giftId)).size).toBe(1);
    expectProblem(answers[15], 403, 'forbidden');
    expectProblem(answers[16], 404, 'not-found');
    expectProblem(answers[17], 422, 'gift-to-self');
    expectProblem(answers[18], 404, 'not-found');
    for (const [i, tokenId] of tokenIds.slice(0, 11).entries()) {
      const owner = i === 10 ? friends[0] : friends[i % 2];
      expect(await entriesOf(tokenId), tokenId).toEqual([
        expect.stringMatching(/^mint#0/),
        `transfer#1 ${answers[i === 10 ? 10 : i].body.giftId}`,
      ]);
      const [row] = await sql(testApp.databaseUrl, `SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]);
      expect(row.owner_id).toBe(owner.id);
    }
    expect(await entriesOf(tokenIds[11])).toHaveLength(1);
    const [received] = await sql(
      testApp.databaseUrl,
      `SELECT count(*)::int AS n FROM notifications WHERE account_id = ANY($1::uuid[]) AND kind = 'gift.received'`,
      [friends.map((friend) => friend.id)],
    );
    expect(received.n).toBe(11);
  });

  it('refuses a gift inside the hold period (the creator’s own editions excepted) and where gifts are off', async () => {
    const held = await boughtToken({ holdDays: 7 });
    const friend = await createUser(testApp, api);
    const refused = await gift(held.buyer, held.tokenId, friend);
    expectProblem(refused, 409, 'hold-period');
    const allowedFrom = Date.parse(refused.body.allowedFrom);
    expect(allowedFrom - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(await entriesOf(held.tokenId)).toHaveLength(2);
    // Once the hold has passed (as if acquired 8 days ago) the gift goes through.
    await sql(
      testApp.databaseUrl,
      `UPDATE tokens SET acquired_at = now() - interval '8 days' WHERE id = $1`,
      [held.tokenId],
    );
    expect((await gift(held.buyer, held.tokenId, friend)).status).toBe(200);
    expect((await gift(creator, held.otherTokenId, friend)).status).toBe(200);

    const noGifts = await boughtToken({ giftsAllowed: false });
    expectProblem(await gift(noGifts.buyer, noGifts.tokenId, friend), 409, 'gifts-not-allowed');
    const policy = await api('GET', `/collections/${noGifts.collectionId}`, { token: creator.token });
    expect(policy.body.policy).toMatchObject({ giftsAllowed: false, resaleAllowed: true });
  });

  it('refuses a gift to an unverified account where the collection requires real names', async () => {
    const { tokenId, buyer } = await boughtToken({ realNameRequired: true }, (b) => verifyRealName(api, b));
    const friend = await createUser(testApp, api);
    const refused = await gift(buyer, tokenId, friend);
    expectProblem(refused, 409, 'real-name-required');
    expect(refused.body.side).toBe('recipient');
    await verifyRealName(api, friend);
    expect((await gift(buyer, tokenId, friend)).status).toBe(200);
    expect((await holdings(friend)).items.map((item) => item.tokenId)).toEqual([tokenId]);
  });

  it('takes a listing off sale when its token is given, and lets the seller reprice and withdraw', async () => {
    const { tokenId, buyer } = await boughtToken();
    const { listingId } = await listToken(api, buyer, tokenId, 4000);
    const stranger = await createUser(testApp, api);
    expectProblem(
      await api('PATCH', `/listings/${listingId}`, { token: stranger.token, body: { priceMinor: 1 } }),
      403,
      'forbidden',
    );
    expectProblem(
      await api('PATCH', `/listings/${listingId}`, { token: buyer.token, body: { priceMinor: 1 } }),
      422,
      'price-below-minimum',
    );
    const repriced = await api('PATCH', `/listings/${listingId}`, {
      token: buyer.token,
      body: { priceMinor: 3500 },
    });
    expect(repriced.status).toBe(200);
    expect(repriced.body).toMatchObject({ listingId, priceMinor: 3500, currency: 'USD', status: 'active' });
    const page = await api('GET', `/catalogue/tokens/${tokenId}`);
    expect(page.body.price).toMatchObject({ amountMinor: 3500, currency: 'USD' });
    expect((await holdings(buyer)).items[0].listing).toEqual({
      listingId,
      priceMinor: 3500,
      currency: 'USD',
    });

    // A buyer holding the listing in checkout blocks its withdrawal and a gift, until the hold ends.
    const reserved = await api('POST', '/checkout', {
      token: stranger.token,
      body: { listingId, idempotencyKey: `co-${randomUUID()}` },
    });
    expect(reserved.body.status).toBe('reserved');
    expectProblem(
      await api('POST', `/listings/${listingId}/withdraw`, { token: buyer.token }),
      409,
      'listing-reserved',
    );
    expectProblem(await gift(buyer, tokenId, stranger), 409, 'listing-reserved');
    await sql(
      testApp.databaseUrl,
      `UPDATE listings SET reserved_until = now() - interval '1 second' WHERE id = $1`,
      [listingId],
    );

    const friend = await createUser(testApp, api);
    expect((await gift(buyer, tokenId, friend)).status).toBe(200);
    expect(await listingStatus(listingId)).toBe('withdrawn');
    expect((await api('GET', `/catalogue/tokens/${tokenId}`)).body.price).toBeNull();

    const relisted = await listToken(api, friend, tokenId, 5000);
    const withdrawn = await api('POST', `/listings/${relisted.listingId}/withdraw`, { token: friend.token });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ listingId: relisted.listingId, status: 'withdrawn' });
    expectProblem(
      await api('POST', `/listings/${relisted.listingId}/withdraw`, { token: friend.token }),
      409,
      'listing-not-active',
    );
    const buyAttempt = await api('POST', '/checkout', {
      token: stranger.token,
      body: cardCheckout({ listingId: relisted.listingId }),
    });
    expect(buyAttempt.status).toBe(409);
  });

  it('lets operators freeze, unfreeze and burn with a reason, on the ledger and in the trail auditors read', async () => {
    const { tokenId, buyer } = await boughtToken();
    const { listingId } = await listToken(api, buyer, tokenId, 4000);
    expectProblem(await operatorAct('freeze', tokenId, '   '), 400, 'validation-failed');
    for (const act of ['freeze', 'unfreeze', 'burn'] as const) {
      expectProblem(await operatorAct(act, tokenId, 'not mine to do', auditor), 403, 'forbidden');
      expectProblem(await operatorAct(act, tokenId, 'not mine to do', buyer), 403, 'forbidden');
    }

    const frozen = await operatorAct('freeze', tokenId, 'Reported as stolen (case 118)');
    expect(frozen.status, JSON.stringify(frozen.body)).toBe(200);
    expect(frozen.body).toMatchObject({ tokenId, status: 'frozen', ownerId: buyer.id });
    expect(await listingStatus(listingId)).toBe('withdrawn');
    // A frozen token cannot be bought, listed or given.
    const stranger = await createUser(testApp, api);
    expect(
      (await api('POST', '/checkout', { token: stranger.token, body: cardCheckout({ listingId }) })).status,
    ).toBe(409);
    const listing = await api('POST', '/listings', {
      token: buyer.token,
      body: { tokenId, priceMinor: 4000, currency: 'USD' },
    });
    expectProblem(listing, 409, 'token-state');
    expectProblem(await gift(buyer, tokenId, stranger), 409, 'token-state');
    expect((await holdings(buyer, '?status=frozen')).items.map((item) => item.tokenId)).toEqual([tokenId]);
    expect((await holdings(buyer, '?status=active')).items).toEqual([]);
    expectProblem(await operatorAct('freeze', tokenId, 'again'), 409, 'token-state');

    const unfrozen = await operatorAct('unfreeze', tokenId, 'Owner proved the purchase');
    expect(unfrozen.body).toMatchObject({ status: 'active', ownerId: buyer.id });
    const burned = await operatorAct('burn', tokenId, 'Infringing artwork, takedown notice 7');
    expect(burned.body).toMatchObject({ status: 'burned', ownerId: null });
    expect((await holdings(buyer)).items).toEqual([]);
    expect((await entriesOf(tokenId)).slice(2)).toEqual([
      `freeze#2 ${frozen.body.actionRef}`,
      `unfreeze#3 ${unfrozen.body.actionRef}`,
      `burn#4 ${burned.body.actionRef}`,
    ]);

    // The trail: newest first, readable by auditors (not by collectors), and the database keeps it.
    const trail = await api('GET', `/operator/actions?subject=${tokenId}`, { token: auditor.token });
    expect(trail.status).toBe(200);
    expect(trail.body.items).toMatchObject([
      {
        ref: burned.body.actionRef,
        action: 'token.burn',
        actorHandle: operator.handle,
        reason: 'Infringing artwork, takedown notice 7',
      },
      { ref: unfrozen.body.actionRef, action: 'token.unfreeze', subjectKind: 'token', subjectId: tokenId },
      { ref: frozen.body.actionRef, action: 'token.freeze', reason: 'Reported as stolen (case 118)' },
    ]);
    const firstPage = await api('GET', `/operator/actions?subject=${tokenId}&limit=2`, {
      token: operator.token,
    });
    const secondPage = await api(
      'GET',
      `/operator/actions?subject=${tokenId}&limit=2&cursor=${firstPage.body.nextCursor}`,
      {
        token: operator.token,
      },
    );
    expect(secondPage.body).toMatchObject({ items: [{ ref: frozen.body.actionRef }], nextCursor: null });
    expectProblem(await api('GET', '/operator/actions', { token: buyer.token }), 403, 'forbidden');
    await expect(
      sql(testApp.databaseUrl, `UPDATE operator_actions SET reason = 'nothing happened'`),
    ).rejects.toThrow(/append-only/);
    await expect(sql(testApp.databaseUrl, `DELETE FROM operator_actions`)).rejects.toThrow(/append-only/);
  });

  it('takes a buyer from a catalogue search to owning the token, using only ids the API gave', async () => {
    const name = `Crane${randomUUID().slice(0, 8)}`;
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 1, name);
    await listToken(api, creator, tokenIds[0], PRICE);
    const dropped = await createCollection(api, creator);
    await mintEditions(api, creator, dropped.id, 2, `${name}drop`);
    const drop = await api('POST', '/drops', {
      token: creator.token,
      body: {
        collectionId: dropped.id,
        priceMinor: 1500,
        currency: 'USD',
        startsAt: new Date().toISOString(),
      },
    });
    expect(drop.status).toBe(201);
    const buyer = await createUser(testApp, api);

    for (const q of [name, `${name}drop`]) {
      const found = await api('GET', `/catalogue/tokens?q=${q}`);
      expect(found.status).toBe(200);
      const tokenId: string = found.body.items[0].id;
      const page = await api('GET', `/catalogue/tokens/${tokenId}`);
      expect(page.body.offer).toMatchObject({ available: true, currency: 'USD' });
      expect(page.body.offer.dropId).toBe(q === name ? null : drop.body.dropId);
      const bought = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ tokenId }) });
      expect(bought.body.status, JSON.stringify(bought.body)).toBe('paid');
      // A drop sells any of its editions: the buyer owns the one the order names.
      const owned = (await holdings(buyer)).items.map((item) => item.tokenId);
      expect(owned).toContain(bought.body.tokenId);
      if (q === name) expect(bought.body.tokenId).toBe(tokenId);
    }
    const sold = await api('GET', `/catalogue/tokens/${tokenIds[0]}`);
    expect(sold.body.offer).toBeNull();
    const notForSale = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ tokenId: tokenIds[0] }),
    });
    expectProblem(notForSale, 409, 'not-for-sale');
    const ambiguous = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId: randomUUID(), tokenId: tokenIds[0] }),
    });
    expectProblem(ambiguous, 400, 'bad-checkout');
  });

  it('lists drops as upcoming, live and ended, in keyset pages', async () => {
    const dropOf = async (editions: number, startsAt: Date) => {
      const collection = await createCollection(api, creator);
      await mintEditions(api, creator, collection.id, editions);
      const drop = await api('POST', '/drops', {
        token: creator.token,
        body: {
          collectionId: collection.id,
          priceMinor: 1500,
          currency: 'USD',
          startsAt: startsAt.toISOString(),
        },
      });
      expect(drop.status).toBe(201);
      return drop.body.dropId as string;
    };
    const all = async (state: string) => {
      const ids: string[] = [];
      let cursor = '';
      for (let page = 0; page < 1000; page++) {
        const response = await api(
          'GET',
          `/drops?state=${state}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        ids.push(...response.body.items.map((drop: { dropId: string }) => drop.dropId));
        if (!response.body.nextCursor) break;
        cursor = response.body.nextCursor;
      }
      return ids;
    };
    const later = await dropOf(1, new Date(Date.now() + 86_400_000));
    const soon = await dropOf(1, new Date(Date.now() + 3_600_000));
    const live = await dropOf(1, new Date());
    const upcoming = await all('upcoming');
    expect(upcoming).toContain(later);
    expect(upcoming.indexOf(soon)).toBeLessThan(upcoming.indexOf(later));
    expect(new Set(upcoming).size).toBe(upcoming.length);
    expect(upcoming).not.toContain(live);
    expect(await all('live')).toContain(live);

    const buyer = await createUser(testApp, api);
    const bought = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ dropId: live }),
    });
    expect(bought.body.status).toBe('paid');
    expect(await all('live')).not.toContain(live);
    expect(await all('ended')).toContain(live);
    expectProblem(await api('GET', '/drops?state=live&cursor=12.not-a-uuid'), 400, 'validation-failed');
  });

  it('pages holdings by keyset and filters them by collection', async () => {
    const owner = await createUser(testApp, api, ['creator']);
    const first = await createCollection(api, owner);
    const second = await createCollection(api, owner);
    const a = await mintEditions(api, owner, first.id, 3);
    const b = await mintEditions(api, owner, second.id, 2);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5; page++) {
      const body = await holdings(owner, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...body.items.map((item) => item.tokenId));
      if (!body.nextCursor) break;
      cursor = body.nextCursor;
    }
    expect(seen.sort()).toEqual([...a.tokenIds, ...b.tokenIds].sort());
    const filtered = await holdings(owner, `?collection=${second.id}`);
    expect(filtered.items.map((item) => item.tokenId).sort()).toEqual([...b.tokenIds].sort());
    expectProblem(
      await api('GET', '/me/holdings?cursor=99999999999999999999', { token: owner.token }),
      400,
      'validation-failed',
    );
  });
});
