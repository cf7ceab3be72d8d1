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

interface Application {
  accountId: string;
  handle: string;
  appliedAt: string;
  realNameVerified: boolean;
}

describe('operator console for accounts (e2e): creator applications, search, account page, freezing', () => {
  let testApp: TestApp;
  let api: Client;
  let operator: TestUser;
  let auditor: TestUser;
  let collector: TestUser;

  const apply = async (user: TestUser) => {
    const response = await api('POST', '/me/creator-application', { token: user.token });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body;
  };
  const decide = (verdict: 'approve' | 'reject', accountId: string, reason: string, as = operator) =>
    api('POST', `/operator/creator-applications/${accountId}/${verdict}`, {
      token: as.token,
      body: { reason },
    });
  const freeze = (act: 'freeze' | 'unfreeze', accountId: string, reason: string, as = operator) =>
    api('POST', `/operator/accounts/${accountId}/${act}`, { token: as.token, body: { reason } });
  /** Every pending application, walking the queue's keyset pages `limit` at a time. */
  const queue = async (limit = 100, as = operator): Promise<Application[]> => {
    const all: Application[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api('GET', `/operator/creator-applications${query}`, { token: as.token });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return all;
  };
  const me = async (user: TestUser) => (await api('GET', '/me', { token: user.token })).body;

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
    collector = await createUser(testApp, api);
  });
  afterAll(() => testApp?.close());

  it('queues applications oldest first; approving makes a creator, recorded in the trail with its reason', async () => {
    const first = await createUser(testApp, api);
    const second = await createUser(testApp, api);
    await verifyRealName(api, second);
    expectProblem(
      await api('POST', '/collections', { token: first.token, body: { name: 'Too soon', royaltyBps: 0 } }),
      403,
      'forbidden',
    );
    await apply(first);
    await apply(second);

    // Pages of one walk the whole queue (the cursor keeps order across equal-looking times).
    const pending = await queue(1);
    expect(new Set(pending.map((a) => a.accountId)).size).toBe(pending.length);
    const mine = pending.filter((a) => [first.id, second.id].includes(a.accountId));
    expect(mine).toMatchObject([
      { accountId: first.id, handle: first.handle, realNameVerified: false },
      { accountId: second.id, handle: second.handle, realNameVerified: true },
    ]);
    const times = pending.map((a) => Date.parse(a.appliedAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(await queue(100, auditor)).toEqual(pending);

    const approved = await decide('approve', first.id, 'Portfolio reviewed');
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ id: first.id, creatorStatus: 'approved', frozen: false });
    expect(approved.body.roles).toContain('creator');
    expect(approved.body.actionRef).toMatch(/^act_\d+$/);
    expect((await queue()).map((a) => a.accountId)).not.toContain(first.id);
    expect((await me(first)).creatorStatus).toBe('approved');
    const collection = await api('POST', '/collections', {
      token: first.token,
      body: { name: `First ${randomUUID().slice(0, 6)}`, royaltyBps: 500 },
    });
    expect(collection.status, JSON.stringify(collection.body)).toBe(201);

    const trail = await api('GET', `/operator/actions?subject=${first.id}`, { token: auditor.token });
    expect(trail.body.items).toMatchObject([
      {
        ref: approved.body.actionRef,
        action: 'creator.approve',
        subjectKind: 'account',
        subjectId: first.id,
        actorId: operator.id,
        reason: 'Portfolio reviewed',
      },
    ]);
    // Deciding again: nothing is pending any more, and nothing more is recorded.
    expectProblem(await decide('approve', first.id, 'Twice'), 409, 'no-pending-application');
    expectProblem(await decide('reject', first.id, 'Twice'), 409, 'no-pending-application');
    expectProblem(await decide('approve', collector.id, 'Never applied'), 409, 'no-pending-application');
    expectProblem(await decide('approve', randomUUID(), 'Nobody'), 404, 'not-found');
    const after = await api('GET', `/operator/actions?subject=${first.id}`, { token: auditor.token });
    expect(after.body.items).toHaveLength(1);
  });

  it('rejects with a reason the applicant reads on GET /me; they may apply again', async () => {
    const applicant = await createUser(testApp, api);
    await apply(applicant);
    expectProblem(await decide('reject', applicant.id, '   '), 400, 'validation-failed');
    expectProblem(await decide('reject', applicant.id, 'x'.repeat(2001)), 400, 'validation-failed');
    const rejected = await decide('reject', applicant.id, '  Please add samples of your own work  ');
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    expect(await me(applicant)).toMatchObject({
      creatorStatus: 'rejected',
      creatorRejectionReason: 'Please add samples of your own work',
    });
    expect((await me(applicant)).roles).not.toContain('creator');
    expect((await queue()).map((a) => a.accountId)).not.toContain(applicant.id);
    const trail = await api('GET', `/operator/actions?subject=${applicant.id}`, { token: operator.token });
    expect(trail.body.items).toMatchObject([
      { action: 'creator.reject', reason: 'Please add samples of your own work' },
    ]);

    const again = await apply(applicant);
    expect(again).toMatchObject({ creatorStatus: 'pending', creatorRejectionReason: null });
    expect((await queue()).map((a) => a.accountId)).toContain(applicant.id);
    expect((await decide('approve', applicant.id, 'Samples added')).status).toBe(200);
    expect(await me(applicant)).toMatchObject({ creatorStatus: 'approved', creatorRejectionReason: null });
  });

  it('searches accounts by exact email (any case) or handle prefix, in keyset pages', async () => {
    const stem = `s${randomUUID().slice(0, 6)}_`;
    const made: { id: string; handle: string; email: string }[] = [];
    for (const tail of ['b', 'a', 'c']) {
      const email = `${stem}${tail}@example.com`;
      const handle = `${stem}${tail}`;
      const signUp = await api('POST', '/auth/sign-up', {
        body: { email, password: `pw-${randomUUID()}`, handle },
      });
      expect(signUp.status).toBe(201);
      made.push({ id: signUp.body.id, handle, email });
    }
    const search = (q: string, extra = '', as = operator) =>
      api('GET', `/operator/accounts?q=${encodeURIComponent(q)}${extra}`, { token: as.token });

    const byEmail = await search(made[0].email.toUpperCase());
    expect(byEmail.status).toBe(200);
    expect(byEmail.body).toEqual({
      items: [
        {
          id: made[0].id,
          handle: made[0].handle,
          email: made[0].email,
          roles: ['collector'],
          creatorStatus: 'none',
          frozen: false,
        },
      ],
      nextCursor: null,
    });
    expect((await search(`x${made[0].email}`)).body.items).toEqual([]);

    const firstPage = await search(stem.toUpperCase(), '&limit=2');
    expect(firstPage.body.items.map((a: { handle: string }) => a.handle)).toEqual([`${stem}a`, `${stem}b`]);
    expect(firstPage.body.nextCursor).toBe(`${stem}b`);
    const secondPage = await search(stem, `&limit=2&cursor=${firstPage.body.nextCursor}`);
    expect(secondPage.body).toMatchObject({ items: [{ handle: `${stem}c` }], nextCursor: null });
    // `_` and `%` are not wildcards: the prefix is taken literally.
    expect((await search(stem.replace('_', '%'))).body.items).toEqual([]);
    expect((await search(`${stem.slice(0, -1)}-`)).body.items).toEqual([]);

    expectProblem(await search('a'), 400, 'validation-failed');
    expectProblem(
      await api('GET', '/operator/accounts', { token: operator.token }),
      400,
      'validation-failed',
    );
    expectProblem(await search(stem, '&cursor=NOT%20A%20HANDLE'), 400, 'validation-failed');
    expectProblem(await search(stem, '', auditor), 403, 'forbidden');
  });

  it('shows an account page: real-name status, holdings and their count, operator actions', async () => {
    const creator = await createUser(testApp, api, ['creator']);
    await verifyRealName(api, creator);
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 3);
    await freeze('freeze', creator.id, 'Chargeback pattern under review');

    for (const reader of [operator, auditor]) {
      const page = await api('GET', `/operator/accounts/${creator.id}`, { token: reader.token });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body).toMatchObject({
        id: creator.id,
        email: creator.email,
        handle: creator.handle,
        creatorStatus: 'approved',
        realNameVerified: true,
        frozen: true,
        frozenReason: 'Chargeback pattern under review',
        holdingsCount: 3,
      });
      expect(Date.now() - Date.parse(page.body.frozenAt)).toBeLessThan(60_000);
      expect(page.body.holdings.map((h: { tokenId: string }) => h.tokenId).sort()).toEqual(
        [...tokenIds].sort(),
      );
      expect(page.body.actions).toMatchObject([
        { action: 'account.freeze', subjectId: creator.id, reason: 'Chargeback pattern under review' },
      ]);
      // Never the name or ID number, in any field.
      expect(JSON.stringify(page.body)).not.toMatch(/fullName|idNumber|id_hmac|idHmac/);
    }
    const plain = await api('GET', `/operator/accounts/${collector.id}`, { token: operator.token });
    expect(plain.body).toMatchObject({
      realNameVerified: false,
      frozen: false,
      frozenAt: null,
      frozenReason: null,
      holdingsCount: 0,
      holdings: [],
      actions: [],
    });
    expectProblem(
      await api('GET', `/operator/accounts/${randomUUID()}`, { token: operator.token }),
      404,
      'not-found',
    );
    expectProblem(
      await api('GET', '/operator/accounts/not-a-uuid', { token: operator.token }),
      400,
      'validation-failed',
    );
    await freeze('unfreeze', creator.id, 'Review done');
  });

  it('freezes an account: it may read and sign in and out, every other write is refused until unfrozen', async () => {
    const creator = await createUser(testApp, api, ['creator']);
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 2);
    const { listingId } = await listToken(api, creator, tokenIds[0], 1500);
    const key = (await api('POST', '/me/api-keys', { token: creator.token, body: { name: 'shop' } })).body
      .key;
    const buyer = await createUser(testApp, api);

    const frozen = await freeze('freeze', buyer.id, 'Suspected stolen cards');
    expect(frozen.status, JSON.stringify(frozen.body)).toBe(200);
    expect(frozen.body).toMatchObject({ id: buyer.id, frozen: true });
    expectProblem(await freeze('freeze', buyer.id, 'Again'), 409, 'account-state');
    expect((await freeze('freeze', creator.id, 'Listing counterfeits')).status).toBe(200);
    expectProblem(await freeze('freeze', operator.id, 'Myself'), 409, 'cannot-freeze-self');

    // The buyer cannot check out; what the frozen creator had on sale is off sale.
    expectProblem(
      await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) }),
      403,
      'account-frozen',
    );
    const listingRow = async () =>
      (await sql(testApp.databaseUrl, `SELECT status FROM listings WHERE id = $1`, [listingId]))[0].status;
    expect(await listingRow()).toBe('withdrawn');
    // The creator cannot list, with a session or an API key, nor apply for anything.
    const list = (token: string) =>
      api('POST', '/listings', { token, body: { tokenId: tokenIds[1], priceMinor: 1500, currency: 'USD' } });
    expectProblem(await list(creator.token), 403, 'account-frozen');
    expectProblem(await list(key), 403, 'account-frozen');
    expectProblem(
      await api('POST', '/me/creator-application', { token: buyer.token }),
      403,
      'account-frozen',
    );

    // Reading, signing in and signing out still work.
    const meFrozen = await api('GET', '/me', { token: buyer.token });
    expect(meFrozen.status).toBe(200);
    expect(meFrozen.body.frozen).toBe(true);
    expect((await api('GET', '/me/holdings', { token: creator.token })).status).toBe(200);
    const signIn = await api('POST', '/auth/sign-in', {
      body: { email: buyer.email, password: buyer.password },
    });
    expect(signIn.status).toBe(200);
    expect((await api('POST', '/auth/sign-out', { token: signIn.body.token })).status).toBe(204);
    expect((await api('GET', '/me', { token: signIn.body.token })).status).toBe(401);
    // A frozen account may still revoke a session it no longer trusts.
    const other = await api('POST', '/auth/sign-in', {
      body: { email: creator.email, password: creator.password },
    });
    const sessions = await api('GET', '/me/sessions', { token: creator.token });
    const newest = (a: { createdAt: string }, b: { createdAt: string }) =>
      b.createdAt.localeCompare(a.createdAt);
    const otherSession = [...sessions.body].sort(newest)[0];
    expect((await api('DELETE', `/me/sessions/${otherSession.id}`, { token: creator.token })).status).toBe(
      204,
    );
    expect((await api('GET', '/me', { token: other.body.token })).status).toBe(401);

    const unfrozen = await freeze('unfreeze', buyer.id, 'Cards were the buyer’s own');
    expect(unfrozen.status).toBe(200);
    expect(unfrozen.body.frozen).toBe(false);
    expectProblem(await freeze('unfreeze', buyer.id, 'Again'), 409, 'account-state');
    await freeze('unfreeze', creator.id, 'Counterfeit claim withdrawn');
    expect((await list(key)).status).toBe(201);
    const relisted = await listToken(api, creator, tokenIds[0], 1500);
    const paid = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId: relisted.listingId }),
    });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe('paid');

    const trail = await api('GET', `/operator/actions?subject=${buyer.id}`, { token: auditor.token });
    expect(
      trail.body.items.map((a: { action: string; reason: string }) => `${a.action}: ${a.reason}`),
    ).toEqual(['account.unfreeze: Cards were the buyer’s own', 'account.freeze: Suspected stolen cards']);
    expectProblem(await freeze('freeze', randomUUID(), 'Nobody'), 404, 'not-found');
  });

  it('lets auditors read but not write, and collectors do neither', async () => {
    const applicant = await createUser(testApp, api);
    await apply(applicant);
    const id = applicant.id;
    const writes: [string, string][] = [
      ['POST', `/operator/creator-applications/${id}/approve`],
      ['POST', `/operator/creator-applications/${id}/reject`],
      ['POST', `/operator/accounts/${id}/freeze`],
      ['POST', `/operator/accounts/${id}/unfreeze`],
    ];
    const reads = ['/operator/creator-applications', `/operator/accounts/${id}`];
    for (const as of [auditor, collector]) {
      for (const [method, path] of writes) {
        expectProblem(
          await api(method, path, { token: as.token, body: { reason: 'Not mine to decide' } }),
          403,
          'forbidden',
        );
      }
      expectProblem(
        await api('GET', `/operator/accounts?q=${applicant.handle}`, { token: as.token }),
        403,
        'forbidden',
      );
    }
    for (const path of reads) {
      expect((await api('GET', path, { token: auditor.token })).status).toBe(200);
      expectProblem(await api('GET', path, { token: collector.token }), 403, 'forbidden');
    }
    // Nothing changed: still pending, not frozen, nothing in the trail.
    expect(await me(applicant)).toMatchObject({ creatorStatus: 'pending', frozen: false });
    const trail = await api('GET', `/operator/actions?subject=${id}`, { token: operator.token });
    expect(trail.body.items).toEqual([]);
    // An operator's API key may read the account page but not decide: decisions need a person.
    const key = (await api('POST', '/me/api-keys', { token: operator.token, body: { name: 'ops' } })).body
      .key;
    expect((await api('GET', `/operator/accounts/${id}`, { token: key })).status).toBe(200);
    expectProblem(
      await decide('approve', id, 'By a script', { ...operator, token: key }),
      403,
      'session-required',
    );
  });
});
