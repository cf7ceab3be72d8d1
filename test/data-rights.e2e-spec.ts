import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, listToken } from './support/checkout.js';
import {
  createCollection,
  createUser,
  mintEditions,
  verifyRealName,
  type TestUser,
} from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';
import { settleCheckpoint } from './support/ledger.js';

const run = promisify(execFile);
const VERIFY = 'dist/apps/verify/src/main.js';
const PRICE = 3100;

/** Runs the public verifier as a person would; its exit code and output whatever the code. */
async function verify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [VERIFY, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('data rights (e2e): exit archive, personal data export, account deletion', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let buyer: TestUser;
  let other: TestUser;
  let bought: string[];
  let othersToken: string;

  const settle = () => settleCheckpoint(testApp);

  /** Buys `tokenId` (listed by its owner `seller`) as `as`. */
  async function buy(as: TestUser, seller: TestUser, tokenId: string): Promise<string> {
    const { listingId } = await listToken(api, seller, tokenId, PRICE);
    const paid = await api('POST', '/checkout', { token: as.token, body: cardCheckout({ listingId }) });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe('paid');
    return paid.body.orderId;
  }

  async function downloadArchive(
    user: TestUser,
  ): Promise<{ response: Response; files: Record<string, string> }> {
    const response = await fetch(`${testApp.url}/me/archive`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const files = Object.fromEntries(
      Object.entries(unzipSync(bytes)).map(([name, content]) => [
        name,
        Buffer.from(content).toString('utf8'),
      ]),
    );
    return { response, files };
  }

  /** Writes the archive's files into a fresh folder, as a person unpacking it would. */
  function extract(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'heirloom-archive-'));
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return dir;
  }

  beforeAll(async () => {
    // Its own database: the audit replay at the end must see only this file's acts.
    scratch = await createScratchDatabase();
    testApp = await startTestApp({ CHECKPOINT_INTERVAL_MS: '100000' }, scratch.url);
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    buyer = await createUser(testApp, api);
    other = await createUser(testApp, api);
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 4);
    bought = [];
    for (const tokenId of tokenIds.slice(0, 3)) {
      await buy(buyer, creator, tokenId);
      bought.push(tokenId);
    }
    othersToken = tokenIds[3];
    await buy(other, creator, othersToken);
    await settle();
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch?.drop();
  });

  it('streams a zip whose certificates the public verifier accepts offline with the policy inside it', async () => {
    const { response, files } = await downloadArchive(buyer);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="heirloom-archive-/);

    const certificates = Object.keys(files).filter((name) => name.startsWith('certificates/'));
    expect(certificates.sort()).toEqual(bought.map((id) => `certificates/heirloom-${id}.cert.json`).sort());
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(['README.txt', 'heirloom.tlog-policy', 'manifest.json']),
    );
    // Exactly what the certificate route and the policy route serve.
    for (const tokenId of bought) {
      const served = await fetch(`${testApp.url}/ledger/tokens/${tokenId}/certificate`).then((r) => r.text());
      expect(files[`certificates/heirloom-${tokenId}.cert.json`]).toBe(served);
    }
    expect(files['heirloom.tlog-policy']).toBe(
      await fetch(`${testApp.url}/ledger/policy`).then((r) => r.text()),
    );
    const manifest = JSON.parse(files['manifest.json']);
    expect(manifest.tokens).toHaveLength(3);
    expect(manifest.tokens.every((t: { certificate: string | null }) => t.certificate !== null)).toBe(true);
    expect(files['README.txt']).toContain('heirloom-verify');
    expect(files['README.txt']).toContain('--policy heirloom.tlog-policy');

    // The platform is gone: the unpacked folder and the verifier are all there is.
    await testApp.close();
    try {
      const dir = extract(files);
      for (const name of certificates) {
        const outcome = await verify(join(dir, name), '--policy', join(dir, 'heirloom.tlog-policy'));
        expect(outcome.code, `${name}: ${outcome.stderr}`).toBe(0);
        expect(outcome.stdout).toContain(`is owned by ${buyer.id}`);
      }

      // One changed byte of a certificate's newest entry (a new owner) fails verification.
      const name = certificates[0];
      const certificate = JSON.parse(files[name]);
      const last = certificate.entries[certificate.entries.length - 1];
      const entry = JSON.parse(Buffer.from(last.entry, 'base64').toString('utf8'));
      last.entry = Buffer.from(JSON.stringify({ ...entry, to: other.id })).toString('base64');
      writeFileSync(join(dir, name), JSON.stringify(certificate));
      const tampered = await verify(join(dir, name), '--policy', join(dir, 'heirloom.tlog-policy'));
      expect(tampered.code).toBe(1);
      expect(tampered.stderr).toContain('INVALID certificate');
    } finally {
      testApp = await startTestApp({ CHECKPOINT_INTERVAL_MS: '100000' }, scratch.url);
      api = client(testApp.url);
    }
  });

  it('gives an account with nothing an archive of the policy and README only', async () => {
    const empty = await createUser(testApp, api);
    const { response, files } = await downloadArchive(empty);
    expect(response.status).toBe(200);
    expect(Object.keys(files).sort()).toEqual(['README.txt', 'heirloom.tlog-policy', 'manifest.json']);
    expect(JSON.parse(files['manifest.json']).tokens).toEqual([]);
  });

  it('exports the account’s own data — orders, holdings, sessions — and no secrets or other people’s data', async () => {
    await verifyRealName(api, buyer);
    const key = await api('POST', '/me/api-keys', { token: buyer.token, body: { name: 'spreadsheet' } });
    expect(key.status).toBe(201);
    const response = await api('GET', '/me/data-export', { token: buyer.token });
    expect(response.status).toBe(200);
    const data = response.body;
    expect(data.account).toMatchObject({ id: buyer.id, email: buyer.email, handle: buyer.handle });
    expect(data.realName).toMatchObject({ status: 'verified', idNumberKeptAs: 'keyed-digest' });
    expect(data.holdings.map((h: { tokenId: string }) => h.tokenId).sort()).toEqual([...bought].sort());
    expect(data.orders).toHaveLength(3);
    expect(
      data.orders.every(
        (o: { side: string; cardLast4: string }) => o.side === 'bought' && o.cardLast4 === '4242',
      ),
    ).toBe(true);
    expect(data.sessions.length).toBeGreaterThan(0);
    expect(data.apiKeys).toMatchObject([{ name: 'spreadsheet', revokedAt: null }]);

    const text = JSON.stringify(data);
    const [secrets] = await sql(
      testApp.databaseUrl,
      `SELECT a.password_hash,
              (SELECT array_agg(encode(token_hash, 'hex')) FROM sessions WHERE account_id = a.id) AS sessions,
              (SELECT array_agg(encode(secret_hash, 'hex')) FROM api_keys WHERE account_id = a.id) AS keys,
              (SELECT encode(id_hmac, 'hex') FROM real_name_verifications WHERE account_id = a.id) AS id_hmac
       FROM accounts a WHERE a.id = $1`,
      [buyer.id],
    );
    for (const secret of [secrets.password_hash, ...secrets.sessions, ...secrets.keys, secrets.id_hmac]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain(buyer.token);
    expect(text).not.toContain(key.body.key);
    expect(text).not.toMatch(/argon2|passwordHash|tokenHash|secretHash|idHmac/i);
    // Nothing of the other buyer: not their email, id, token or order.
    expect(text).not.toContain(other.email);
    expect(text).not.toContain(other.id);
    expect(text).not.toContain(othersToken);

    // The seller sees the sale, not the buyer's card.
    const sold = (await api('GET', '/me/data-export', { token: creator.token })).body;
    expect(sold.orders.filter((o: { side: string }) => o.side === 'sold')).toHaveLength(4);
    expect(sold.orders.every((o: { cardLast4: string | null }) => o.cardLast4 === null)).toBe(true);
    expect(sold.moneyOwedToYou.length).toBe(1);
  });

  it('refuses deletion while the account holds tokens, then deletes it once they are given away', async () => {
    const remove = (as: TestUser, confirmHandle: string) =>
      api('POST', '/me/delete', { token: as.token, body: { confirmHandle } });
    expectProblem(await remove(buyer, other.handle), 422, 'confirmation-mismatch');
    const refused = await remove(buyer, buyer.handle);
    expectProblem(refused, 409, 'account-not-empty');
    expect(refused.body.blockers).toEqual([
      { reason: 'holds-tokens', count: 3, whatToDo: expect.stringContaining('GET /me/archive') },
    ]);
    expect(refused.body.detail).toContain('give');
    // The creator is owed its sales' proceeds and still holds nothing: refused for the money.
    const creatorRefused = await remove(creator, creator.handle);
    expectProblem(creatorRefused, 409, 'account-not-empty');
    expect(creatorRefused.body.blockers.map((b: { reason: string }) => b.reason)).toEqual(['money-owed']);
    // An API key may not delete the account it acts for.
    const key = await api('POST', '/me/api-keys', { token: buyer.token, body: { name: 'integration' } });
    expectProblem(
      await api('POST', '/me/delete', { token: key.body.key, body: { confirmHandle: buyer.handle } }),
      403,
      'session-required',
    );

    for (const tokenId of bought) {
      const given = await api('POST', `/tokens/${tokenId}/gift`, {
        token: buyer.token,
        body: { toHandle: other.handle, idempotencyKey: `gift-${randomUUID()}` },
      });
      expect(given.status, JSON.stringify(given.body)).toBe(200);
    }
    // A notice the account was sent (its text may name others) goes with it.
    await sql(
      testApp.databaseUrl,
      `INSERT INTO notifications (account_id, kind, subject_kind, subject_id, data)
       VALUES ($1, 'gift.received', 'token', $2, jsonb_build_object('fromHandle', $3::text))`,
      [buyer.id, bought[0], other.handle],
    );
    const hook = await api('POST', '/me/webhooks', {
      token: buyer.token,
      body: {
        url: 'https://example.com/hook',
        eventTypes: ['order.paid'],
        idempotencyKey: `wh-${randomUUID()}`,
      },
    });
    expect(hook.status).toBe(201);
    const exported = await api('GET', '/me/data-export', { token: buyer.token });
    expect(exported.body.webhookEndpoints).toEqual([
      expect.objectContaining({
        endpointId: hook.body.id,
        url: 'https://example.com/hook',
        eventTypes: ['order.paid'],
      }),
    ]);
    expect(JSON.stringify(exported.body)).not.toContain(hook.body.secret);
    expect(exported.body.notifications).toEqual([
      expect.objectContaining({ kind: 'gift.received', subjectId: bought[0], readAt: null }),
    ]);
    expect(exported.body.appeals).toEqual([]);
    expect(exported.body.payouts).toEqual([]);
    const deleted = await remove(buyer, buyer.handle);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(Date.parse(deleted.body.deletedAt)).toBeGreaterThan(Date.now() - 60_000);

    // The session and API key are gone.
    expect((await api('GET', '/me', { token: buyer.token })).status).toBe(401);
    expect((await api('GET', '/me', { token: key.body.key })).status).toBe(401);

    // Personal data gone from the database; the tombstone keeps only the opaque id, and the
    // password no longer signs in.
    const [tombstone] = await sql(
      testApp.databaseUrl,
      `SELECT email, password_hash, handle, roles, deleted_at FROM accounts WHERE id = $1`,
      [buyer.id],
    );
    expect(tombstone).toMatchObject({ email: null, password_hash: null, roles: [] });
    expect(tombstone.handle).toMatch(/^deleted-[0-9a-f]{12}$/);
    expect(tombstone.deleted_at).not.toBeNull();
    const [left] = await sql(
      testApp.databaseUrl,
      `SELECT (SELECT count(*) FROM sessions WHERE account_id = $1)::int AS sessions,
              (SELECT count(*) FROM api_keys WHERE account_id = $1)::int AS api_keys,
              (SELECT count(*) FROM real_name_verifications WHERE account_id = $1)::int AS real_name,
              (SELECT count(*) FROM notifications WHERE account_id = $1)::int AS notifications,
              (SELECT count(*) FROM webhook_endpoints WHERE account_id = $1)::int AS webhook_endpoints,
              (SELECT count(*) FROM rate_limit_hits WHERE key LIKE '%' || $2)::int AS rate_limits,
              (SELECT count(*) FROM accounts WHERE email = $2 OR handle = $3)::int AS accounts`,
      [buyer.id, buyer.email, buyer.handle],
    );
    expect(left).toEqual({
      sessions: 0,
      api_keys: 0,
      real_name: 0,
      notifications: 0,
      webhook_endpoints: 0,
      rate_limits: 0,
      accounts: 0,
    });
    // (Checked after the erasure: a sign-in attempt counts toward the rate limit for an hour.)
    const signIn = await api('POST', '/auth/sign-in', {
      body: { email: buyer.email, password: buyer.password },
    });
    expectProblem(signIn, 401, 'invalid-credentials');
    // The ledger never held personal data: neither email nor handle is in any entry.
    const [ledger] = await sql(
      testApp.databaseUrl,
      `SELECT count(*) FILTER (WHERE position($1::bytea IN entry) > 0 OR position($2::bytea IN entry) > 0)::int AS personal,
              count(*) FILTER (WHERE position($3::bytea IN entry) > 0)::int AS naming_the_id
       FROM ledger_entries`,
      [Buffer.from(buyer.email), Buffer.from(buyer.handle), Buffer.from(buyer.id)],
    );
    expect(ledger).toEqual({ personal: 0, naming_the_id: 6 });
    // The handle is free for others again.
    await api('POST', '/auth/sign-up', {
      body: {
        email: `again-${randomUUID()}@example.com`,
        password: `pw-${randomUUID()}`,
        handle: buyer.handle,
      },
    }).then((response) => expect(response.status).toBe(201));

    // The ledger is intact: the audit replay recomputes every owner from it and finds no mismatch.
    await settle();
    const audit = await api('POST', '/operator/audit/replay', { token: operator.token });
    expect(audit.status).toBe(200);
    expect(audit.body).toMatchObject({ ok: true, mismatches: [] });
    // And the given tokens' certificates still verify, naming their new owner.
    const { files } = await downloadArchive(other);
    expect(Object.keys(files).filter((name) => name.startsWith('certificates/'))).toHaveLength(4);
  });

  it('gives nothing to a deleted account, even to one deleted while the gift was on its way', async () => {
    const [tokenId] = bought;
    const tombstone = (
      await sql(testApp.databaseUrl, `SELECT handle FROM accounts WHERE id = $1`, [buyer.id])
    )[0];
    const giveTo = (toHandle: string) =>
      api('POST', `/tokens/${tokenId}/gift`, {
        token: other.token,
        body: { toHandle, idempotencyKey: `gift-${randomUUID()}` },
      });
    expectProblem(await giveTo(tombstone.handle), 404, 'not-found');

    // A deletion holds the account's row while it runs: a gift to it waits, then finds nobody.
    const leaving = await createUser(testApp, api);
    const deletion = new pg.Client({ connectionString: testApp.databaseUrl });
    await deletion.connect();
    try {
      await deletion.query('BEGIN');
      await deletion.query(`SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [leaving.id]);
      const gift = giveTo(leaving.handle);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await deletion.query(
        `UPDATE accounts SET email = NULL, password_hash = NULL, handle = 'deleted-' || substr(md5(id::text), 1, 12),
           deleted_at = now() WHERE id = $1`,
        [leaving.id],
      );
      await deletion.query('COMMIT');
      expectProblem(await gift, 404, 'not-found');
    } finally {
      await deletion.end();
    }
    expect((await api('GET', '/me/holdings', { token: other.token })).body.items).toHaveLength(4);
  });

  it('names every blocker at once: tokens held and a listing on sale', async () => {
    const [tokenId] = bought;
    const listed = await listToken(api, other, tokenId, PRICE);
    const refused = await api('POST', '/me/delete', {
      token: other.token,
      body: { confirmHandle: other.handle },
    });
    expectProblem(refused, 409, 'account-not-empty');
    expect(refused.body.blockers.map((b: { reason: string; count: number }) => [b.reason, b.count])).toEqual([
      ['holds-tokens', 4],
      ['active-listings', 1],
    ]);
    expect(refused.body.detail).toContain('Withdraw your listings');
    const withdrawn = await api('POST', `/listings/${listed.listingId}/withdraw`, { token: other.token });
    expect(withdrawn.status, JSON.stringify(withdrawn.body)).toBe(200);
  });

  it('answers 401 without credentials', async () => {
    expect((await api('GET', '/me/archive')).status).toBe(401);
    expect((await api('GET', '/me/data-export')).status).toBe(401);
    expect((await api('POST', '/me/delete', { body: { confirmHandle: 'someone' } })).status).toBe(401);
  });

  it('answers 400 to a malformed confirmation and deletes nothing', async () => {
    const response = await api('POST', '/me/delete', {
      token: other.token,
      body: { confirmHandle: 'NOT A HANDLE' },
    });
    expectProblem(response, 400, 'validation-failed');
    expect((await api('GET', '/me', { token: other.token })).status).toBe(200);
  });

  it('refuses deletion to a frozen account (403) while it may still read its export and archive', async () => {
    const frozen = await createUser(testApp, api);
    const freeze = await api('POST', `/operator/accounts/${frozen.id}/freeze`, {
      token: operator.token,
      body: { reason: 'Under review' },
    });
    expect(freeze.status, JSON.stringify(freeze.body)).toBe(200);
    expectProblem(
      await api('POST', '/me/delete', { token: frozen.token, body: { confirmHandle: frozen.handle } }),
      403,
      'account-frozen',
    );
    const data = await api('GET', '/me/data-export', { token: frozen.token });
    expect(data.body.account).toMatchObject({ frozen: true, frozenReason: 'Under review' });
    expect(data.body.operatorActions).toMatchObject([
      { action: expect.any(String), reason: 'Under review', byYou: false },
    ]);
    expect((await downloadArchive(frozen)).response.status).toBe(200);
  });
});
