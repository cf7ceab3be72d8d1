import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../libs/identity/src/index.js';
import { startTestApp, type TestApp } from './support/app.js';
import { client, type Client } from './support/http.js';
import { createUser } from './support/factories.js';

const PROBLEM = 'https://heirloom.dev/problems/';

describe('identity (e2e, real HTTP on real PostgreSQL)', () => {
  let testApp: TestApp;
  let api: Client;

  beforeAll(async () => {
    testApp = await startTestApp({ MAX_JSON_BODY_BYTES: '4096' });
    api = client(testApp.url);
  });
  afterAll(() => testApp.close());

  it('serves health, readiness and the OpenAPI UI', async () => {
    expect((await api('GET', '/health')).status).toBe(200);
    expect((await api('GET', '/ready')).body).toMatchObject({ status: 'ready', database: 'ok' });
    const docs = await api('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.body).toContain('swagger');
    const openApi = await api('GET', '/docs/openapi.json');
    expect(openApi.body.paths['/auth/sign-in']).toBeDefined();
  });

  it('signs up, signs in and makes a protected call', async () => {
    const user = await createUser(testApp, api);
    const me = await api('GET', '/me', { token: user.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: user.email, handle: user.handle, roles: ['collector'] });
    expect(me.body.passwordHash).toBeUndefined();
    expect(me.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
  });

  it('refuses a wrong password and an unknown token with 401 problems', async () => {
    const user = await createUser(testApp, api);
    const wrong = await api('POST', '/auth/sign-in', {
      body: { email: user.email, password: 'not-the-password' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.type).toBe(PROBLEM + 'invalid-credentials');
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect((await api('GET', '/me', { token: 'hls_forged' })).status).toBe(401);
  });

  it('stores passwords only as argon2id hashes', async () => {
    const user = await createUser(testApp, api);
    const db = new pg.Client({ connectionString: testApp.databaseUrl });
    await db.connect();
    const { rows } = await db.query('SELECT password_hash FROM accounts WHERE id = $1', [user.id]);
    const { rows: tokens } = await db.query('SELECT token_hash FROM sessions WHERE account_id = $1', [
      user.id,
    ]);
    await db.end();
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(rows[0].password_hash).not.toContain(user.password);
    expect(tokens[0].token_hash).toHaveLength(32); // SHA-256 of the token, not the token
  });

  it('keeps collectors out of creator and operator endpoints (403)', async () => {
    const collector = await createUser(testApp, api);
    const operator = await createUser(testApp, api, ['operator']);
    const grant = await api('POST', `/operator/accounts/${collector.id}/roles`, {
      token: collector.token,
      body: { role: 'operator' },
    });
    expect(grant.status).toBe(403);
    expect(grant.body.type).toBe(PROBLEM + 'forbidden');
    const approved = await api('POST', `/operator/accounts/${collector.id}/roles`, {
      token: operator.token,
      body: { role: 'creator' },
    });
    expect(approved.status).toBe(200);
    expect(approved.body.roles).toContain('creator');
  });

  it('revokes a session on sign-out (401 afterwards)', async () => {
    const user = await createUser(testApp, api);
    expect((await api('POST', '/auth/sign-out', { token: user.token })).status).toBe(204);
    const after = await api('GET', '/me', { token: user.token });
    expect(after.status).toBe(401);
    expect(after.body.type).toBe(PROBLEM + 'unauthorized');
  });

  it('resolves concurrent session lookups, batched, each to its own account or to no one', async () => {
    const users = await Promise.all([
      createUser(testApp, api),
      createUser(testApp, api),
      createUser(testApp, api),
    ]);
    expect((await api('POST', '/auth/sign-out', { token: users[1].token })).status).toBe(204);
    const identity = testApp.app.get(IdentityService);
    // One tick: the first lookup runs alone, the other five share one query.
    const tokens = [
      users[0].token,
      users[1].token,
      'hls_unknown',
      users[2].token,
      users[0].token,
      users[2].token,
    ];
    const principals = await Promise.all(tokens.map((token) => identity.authenticate(token)));
    expect(principals.map((principal) => principal?.accountId ?? null)).toEqual([
      users[0].id,
      null,
      null,
      users[2].id,
      users[0].id,
      users[2].id,
    ]);
  });

  it('issues API keys that work until revoked', async () => {
    const user = await createUser(testApp, api);
    const created = await api('POST', '/me/api-keys', { token: user.token, body: { name: 'integration' } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^hlk_/);
    expect((await api('GET', '/me', { token: created.body.key })).body.id).toBe(user.id);
    const revoked = await api('DELETE', `/me/api-keys/${created.body.id}`, { token: user.token });
    expect(revoked.status).toBe(204);
    expect((await api('GET', '/me', { token: created.body.key })).status).toBe(401);
  });

  it('answers every kind of bad input with a problem+json 4xx', async () => {
    const user = await createUser(testApp, api);
    const cases: [string, Promise<{ status: number; body: { type: string } }>, number, string][] = [
      [
        'malformed JSON',
        api('POST', '/auth/sign-in', {
          rawBody: '{"email":',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'bad-request',
      ],
      [
        'unknown field',
        api('POST', '/auth/sign-in', { body: { email: user.email, password: 'x', admin: true } }),
        400,
        'validation-failed',
      ],
      [
        'wrong type',
        api('POST', '/auth/sign-in', { body: { email: 42, password: 'x' } }),
        400,
        'validation-failed',
      ],
      [
        'oversized body',
        api('POST', '/auth/sign-in', { body: { email: user.email, password: 'x'.repeat(10_000) } }),
        413,
        'payload-too-large',
      ],
      [
        'wrong content type',
        api('POST', '/auth/sign-in', { rawBody: 'hello', headers: { 'content-type': 'text/plain' } }),
        415,
        'unsupported-media-type',
      ],
      ['bad uuid', api('DELETE', '/me/api-keys/not-a-uuid', { token: user.token }), 400, 'bad-request'],
      ['unknown route', api('GET', '/no-such-thing'), 404, 'not-found'],
      [
        'duplicate email',
        api('POST', '/auth/sign-up', {
          body: { email: user.email, password: '0123456789ab', handle: 'someone_else' },
        }),
        409,
        'email-taken',
      ],
    ];
    for (const [name, pending, status, code] of cases) {
      const response = await pending;
      expect(response.status, name).toBe(status);
      expect(response.body.type, name).toBe(PROBLEM + code);
    }
  });

  it('rate-limits sign-in per account', async () => {
    const limited = await startTestApp({ AUTH_RATE_LIMIT_PER_ACCOUNT: '3' });
    try {
      const limitedApi = client(limited.url);
      const user = await createUser(limited, limitedApi); // one sign-in used
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (
            await limitedApi('POST', '/auth/sign-in', {
              body: { email: user.email, password: 'wrong-password' },
            })
          ).status,
        );
      }
      expect(statuses).toEqual([401, 401, 429, 429]);
    } finally {
      await limited.close();
    }
  });

  it('verifies real names without storing the ID number', async () => {
    const user = await createUser(testApp, api);
    const bad = await api('POST', '/me/real-name', {
      token: user.token,
      body: { fullName: 'Li Lei', idNumber: '110101199003074511' },
    });
    expect(bad.status).toBe(422);
    const idNumber = '11010519491231002X'; // a well-formed GB 11643 number (check character X)
    const ok = await api('POST', '/me/real-name', {
      token: user.token,
      body: { fullName: 'Li Lei', idNumber },
    });
    expect(ok.body).toEqual({ status: 'verified' });
    const db = new pg.Client({ connectionString: testApp.databaseUrl });
    await db.connect();
    const { rows } = await db.query('SELECT * FROM real_name_verifications WHERE account_id = $1', [user.id]);
    await db.end();
    expect(JSON.stringify(rows)).not.toContain(idNumber);
    expect(rows[0].id_hmac).toHaveLength(32); // a keyed digest (HMAC-SHA256), not the number
  });
});
