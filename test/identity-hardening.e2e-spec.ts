import { randomUUID } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate } from '../libs/database/src/index.js';
import { IdentityService } from '../libs/identity/src/index.js';
import { Passwords } from '../libs/identity/src/passwords.js';
import { schema } from '../apps/api/src/schema.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { client, type ApiResponse, type Client } from './support/http.js';
import { createUser, residentId, type TestUser } from './support/factories.js';

const PROBLEM = 'https://heirloom.dev/problems/';
function expectProblem(response: ApiResponse, status: number, ...codes: string[]): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(codes.map((code) => PROBLEM + code)).toContain(response.body.type);
}

/** 400 from the DTOs, or for a NUL from the JSON body check that runs before them. */
function expectRefusedInput(response: ApiResponse): void {
  expectProblem(response, 400, 'validation-failed', 'invalid-characters');
}

describe('identity hardening (e2e, real HTTP on real PostgreSQL)', () => {
  let testApp: TestApp;
  let api: Client;
  let usedIds: Set<string>;
  const db = <T = any>(text: string, params: unknown[] = []) => sql<T>(testApp.databaseUrl, text, params);

  /** A resident ID number no other test of this run has used. */
  function freshId(): string {
    for (;;) {
      const id = residentId();
      if (!usedIds.has(id)) return (usedIds.add(id), id);
    }
  }

  const verifyRealName = (user: TestUser, idNumber: string) =>
    api('POST', '/me/real-name', { token: user.token, body: { fullName: 'Li Lei', idNumber } });

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    usedIds = new Set();
  });
  afterAll(() => testApp.close());

  describe('real-name: one ID number verifies one account', () => {
    it('verifies a number on account A, refuses it on account B with 409, and A stays verified', async () => {
      const [a, b] = await Promise.all([createUser(testApp, api), createUser(testApp, api)]);
      const idNumber = freshId();
      expect((await verifyRealName(a, idNumber)).body).toEqual({ status: 'verified' });

      const refused = await verifyRealName(b, idNumber);
      expectProblem(refused, 409, 'id-number-in-use');
      expect(JSON.stringify(refused.body)).not.toContain(idNumber);

      const identity = testApp.app.get(IdentityService);
      expect(await identity.isRealNameVerified(a.id)).toBe(true);
      expect(await identity.isRealNameVerified(b.id)).toBe(false);
      const rows = await db('SELECT * FROM real_name_verifications WHERE account_id = ANY($1)', [
        [a.id, b.id],
      ]);
      expect(rows).toHaveLength(1);
      expect(rows[0].id_hmac).toHaveLength(32);
      expect(rows[0].id_hash).toBeNull(); // no per-row salted hash any more
      expect(JSON.stringify(rows)).not.toContain(idNumber);
    });

    it('lets the same account verify the same number again (also spelled with a lower-case x)', async () => {
      const user = await createUser(testApp, api);
      let idNumber = freshId();
      while (!idNumber.endsWith('X')) idNumber = freshId();
      expect((await verifyRealName(user, idNumber)).status).toBe(200);
      const again = await verifyRealName(user, idNumber.toLowerCase());
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ status: 'verified' });
      const other = await createUser(testApp, api);
      expectProblem(await verifyRealName(other, idNumber.toLowerCase()), 409, 'id-number-in-use');
    });

    it('lets exactly one of several concurrent requests with one number win', async () => {
      const users = await Promise.all(Array.from({ length: 6 }, () => createUser(testApp, api)));
      const idNumber = freshId();
      const responses = await Promise.all(users.map((user) => verifyRealName(user, idNumber)));
      expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
      for (const refused of responses.filter((r) => r.status !== 200)) {
        expectProblem(refused, 409, 'id-number-in-use');
      }
      const verified = await db<{ account_id: string }>(
        `SELECT account_id FROM real_name_verifications WHERE account_id = ANY($1) AND status = 'verified'`,
        [users.map((user) => user.id)],
      );
      expect(verified).toHaveLength(1);
      expect(verified[0].account_id).toBe(users[responses.findIndex((r) => r.status === 200)].id);
    });
  });

  describe('API keys act for integrations only', () => {
    let operator: TestUser;
    let target: TestUser;
    let key: string;
    let sessionId: string;

    beforeAll(async () => {
      operator = await createUser(testApp, api, ['operator']);
      target = await createUser(testApp, api);
      const created = await api('POST', '/me/api-keys', { token: operator.token, body: { name: 'shop' } });
      expect(created.status).toBe(201);
      key = created.body.key;
      expect(key).toMatch(/^hlk_/);
      const sessions = await api('GET', '/me/sessions', { token: operator.token });
      expect(sessions.status).toBe(200);
      sessionId = sessions.body[0].id;
    });

    const counts = async () =>
      (
        await db<{ keys: number; revoked: number; roles: string[]; creator: string; verified: number }>(
          `SELECT (SELECT count(*)::int FROM api_keys WHERE account_id = $1) AS keys,
                  (SELECT count(*)::int FROM sessions WHERE account_id = $1 AND revoked_at IS NOT NULL) AS revoked,
                  (SELECT roles FROM accounts WHERE id = $2) AS roles,
                  (SELECT creator_status FROM accounts WHERE id = $1) AS creator,
                  (SELECT count(*)::int FROM real_name_verifications WHERE account_id = $1) AS verified`,
          [operator.id, target.id],
        )
      )[0];

    it('refuses credential, role and account-owner acts with 403 session-required, writing nothing', async () => {
      const before = await counts();
      const attempts: [string, string, unknown?][] = [
        ['POST', '/me/api-keys', { name: 'child' }],
        ['GET', '/me/api-keys'],
        ['DELETE', `/me/api-keys/${randomUUID()}`],
        ['GET', '/me/sessions'],
        ['DELETE', `/me/sessions/${sessionId}`],
        ['POST', `/operator/accounts/${target.id}/roles`, { role: 'operator' }],
        ['DELETE', `/operator/accounts/${operator.id}/roles/operator`],
        ['POST', '/me/real-name', { fullName: 'Li Lei', idNumber: freshId() }],
        ['POST', '/me/creator-application'],
      ];
      for (const [method, path, body] of attempts) {
        const response = await api(method, path, { token: key, body });
        expectProblem(response, 403, 'session-required');
      }
      expect(await counts()).toEqual(before);
      expect(before).toMatchObject({
        keys: 1,
        revoked: 0,
        roles: ['collector'],
        creator: 'none',
        verified: 0,
      });
      // The session the key tried to revoke still works.
      expect((await api('GET', '/me/sessions', { token: operator.token })).status).toBe(200);
    });

    it('still serves the integration itself', async () => {
      const me = await api('GET', '/me', { token: key });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(operator.id);
      expect((await api('GET', `/operator/accounts/${target.id}`, { token: key })).status).toBe(200);
    });

    it('lets a session do all of it', async () => {
      const child = await api('POST', '/me/api-keys', { token: operator.token, body: { name: 'second' } });
      expect(child.status).toBe(201);
      expect((await api('GET', '/me/api-keys', { token: operator.token })).body).toHaveLength(2);
      const grant = await api('POST', `/operator/accounts/${target.id}/roles`, {
        token: operator.token,
        body: { role: 'creator' },
      });
      expect(grant.status).toBe(200);
      expect(grant.body.roles).toContain('creator');
      const other = await api('POST', '/auth/sign-in', {
        body: { email: operator.email, password: operator.password },
      });
      const revoked = await api('DELETE', `/me/sessions/${sessionId}`, { token: other.body.token });
      expect(revoked.status).toBe(204);
      expect((await api('GET', '/me', { token: operator.token })).status).toBe(401);
      expect((await counts()).revoked).toBe(1);
    });
  });

  describe('sign-in does not tell which emails have accounts', () => {
    it('runs one argon2 verification, with the same parameters, for an unknown email and a wrong password', async () => {
      const user = await createUser(testApp, api);
      const passwords = testApp.app.get(Passwords);
      const verify = vi.spyOn(passwords, 'verify');
      try {
        const unknown = await api('POST', '/auth/sign-in', {
          body: { email: `nobody-${randomUUID()}@example.com`, password: 'some-password' },
        });
        expect(verify).toHaveBeenCalledTimes(1);
        const dummyHash = verify.mock.calls[0][0];
        const wrong = await api('POST', '/auth/sign-in', {
          body: { email: user.email, password: 'some-password' },
        });
        expect(verify).toHaveBeenCalledTimes(2);
        const [accountHash] = await db<{ password_hash: string }>(
          'SELECT password_hash FROM accounts WHERE id = $1',
          [user.id],
        );
        expect(verify.mock.calls[1][0]).toBe(accountHash.password_hash);
        // Same algorithm and cost: everything before the salt is equal.
        const parameters = (hash: string) => hash.split('$').slice(0, 4).join('$');
        expect(parameters(dummyHash)).toBe(parameters(accountHash.password_hash));
        // And the same answer.
        for (const response of [unknown, wrong]) expectProblem(response, 401, 'invalid-credentials');
        const { requestId: _a, ...unknownBody } = unknown.body;
        const { requestId: _b, ...wrongBody } = wrong.body;
        expect(unknownBody).toEqual(wrongBody);
      } finally {
        verify.mockRestore();
      }
    });
  });

  describe('odd inputs to identity routes are 400, never 500', () => {
    const long = 'a'.repeat(100_000);
    const cases: [string, string, Record<string, unknown>][] = [
      ['sign-in: very long email', '/auth/sign-in', { email: `${long}@example.com`, password: 'x' }],
      ['sign-in: very long password', '/auth/sign-in', { email: 'a@example.com', password: long }],
      ['sign-in: NUL in email', '/auth/sign-in', { email: 'a\u0000b@example.com', password: 'x' }],
      ['sign-in: NUL in password', '/auth/sign-in', { email: 'a@example.com', password: 'pass\u0000word' }],
      [
        'sign-up: very long email',
        '/auth/sign-up',
        { email: `${long}@example.com`, password: 'long-enough-pw', handle: 'odd_one' },
      ],
      [
        'sign-up: very long password',
        '/auth/sign-up',
        { email: 'odd@example.com', password: long, handle: 'odd_one' },
      ],
      [
        'sign-up: NUL in handle',
        '/auth/sign-up',
        { email: 'odd@example.com', password: 'long-enough-pw', handle: 'odd\u0000one' },
      ],
      [
        'sign-up: NUL in password',
        '/auth/sign-up',
        { email: 'odd@example.com', password: 'long-enough\u0000pw', handle: 'odd_one' },
      ],
      [
        'sign-up: an escape character in the password',
        '/auth/sign-up',
        { email: 'odd@example.com', password: 'long-enough\u001b[2Jpw', handle: 'odd_one' },
      ],
    ];
    for (const [name, path, body] of cases) {
      it(name, async () => {
        expectRefusedInput(await api('POST', path, { body }));
      });
    }

    it('API key names and real names with control characters or over-long', async () => {
      const user = await createUser(testApp, api);
      for (const name of ['key\u0000name', 'key\nname', 'k'.repeat(101)]) {
        expectRefusedInput(await api('POST', '/me/api-keys', { token: user.token, body: { name } }));
      }
      for (const fullName of ['Li\u0000Lei', 'Li\u001bLei', 'L'.repeat(101)]) {
        const response = await api('POST', '/me/real-name', {
          token: user.token,
          body: { fullName, idNumber: freshId() },
        });
        expectRefusedInput(response);
      }
      expect(await db('SELECT 1 FROM api_keys WHERE account_id = $1', [user.id])).toHaveLength(0);
      expect(await db('SELECT 1 FROM real_name_verifications WHERE account_id = $1', [user.id])).toHaveLength(
        0,
      );
      expect(await db(`SELECT 1 FROM accounts WHERE email = 'odd@example.com'`)).toHaveLength(0);
    });
  });
});

/**
 * HashIdNumbersWithHmac on rows the previous schema wrote: their salted hashes cannot be recomputed,
 * so they stay verified as legacy rows, until the account verifies again and gets a digest.
 */
describe('real-name migration (e2e): salted rows written before the digest', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  const email = `legacy-${randomUUID().slice(0, 8)}@example.com`;
  const password = `pw-${randomUUID()}`;
  let accountId: string;

  beforeAll(async () => {
    scratch = await createScratchDatabase('HashIdNumbersWithHmac1764000800000');
    [{ id: accountId }] = await sql<{ id: string }>(
      scratch.url,
      `INSERT INTO accounts (email, handle, password_hash) VALUES ($1, 'legacy_one', $2) RETURNING id`,
      [email, await argon2Hash(password)],
    );
    await sql(
      scratch.url,
      `INSERT INTO real_name_verifications (account_id, status, provider, id_hash, salt)
       VALUES ($1, 'verified', 'sandbox', sha256('legacy'::bytea), '\\x00112233'::bytea)`,
      [accountId],
    );
    await migrate(scratch.url, schema);
    testApp = await startTestApp({}, scratch.url);
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch?.drop();
  });

  it('keeps a legacy row verified, and replaces its salted hash by the digest on re-verification', async () => {
    const identity = testApp.app.get(IdentityService);
    expect(await identity.isRealNameVerified(accountId)).toBe(true);
    const [legacy] = await sql(scratch.url, 'SELECT * FROM real_name_verifications WHERE account_id = $1', [
      accountId,
    ]);
    expect(legacy).toMatchObject({ status: 'verified', id_hmac: null });
    expect(legacy.salt).toHaveLength(4);

    const api = client(testApp.url);
    const signIn = await api('POST', '/auth/sign-in', { body: { email, password } });
    expect(signIn.status).toBe(200);
    const again = await api('POST', '/me/real-name', {
      token: signIn.body.token,
      body: { fullName: 'Li Lei', idNumber: residentId() },
    });
    expect(again.status).toBe(200);
    const [converted] = await sql(
      scratch.url,
      'SELECT * FROM real_name_verifications WHERE account_id = $1',
      [accountId],
    );
    expect(converted).toMatchObject({ status: 'verified', id_hash: null, salt: null });
    expect(converted.id_hmac).toHaveLength(32);
  });
});
