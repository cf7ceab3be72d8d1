import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { buyerLockKey, idempotencyLockKey } from '../libs/checkout/src/lock-keys.js';
import { startTestApp, type TestApp } from './support/app.js';
import { listedEdition, openDrop } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type ApiResponse, type Client } from './support/http.js';

// The TS lock keys (lock-keys.ts) and the copy in SQL function reserve_from_drop must agree: a
// checkout holding a key's lock has to hold back a drop batch with that key, and the reverse.
describe('checkout lock keys (e2e, real PostgreSQL)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  /** Holds `key`'s advisory lock in another session while `request` runs; whether it waited `windowMs`. */
  const waitsOnLock = async (key: string, request: () => Promise<ApiResponse>, windowMs = 700) => {
    const holder = new pg.Client({ connectionString: testApp.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
      const pending = request();
      const early = await Promise.race([
        pending.then(() => 'answered'),
        new Promise((resolve) => setTimeout(() => resolve('waiting'), windowMs)),
      ]);
      await holder.query('COMMIT');
      const response = await pending;
      expect(response.status).toBe(201);
      return early === 'waiting';
    } finally {
      await holder.end();
    }
  };

  beforeAll(async () => {
    testApp = await startTestApp({}, undefined, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(() => testApp.close());

  it("a drop reservation (reserve_from_drop in SQL) waits on the key's lock as built by idempotencyLockKey", async () => {
    const { dropId } = await openDrop(api, creator, 2);
    const buyer = await createUser(testApp, api);
    const key = `lk-drop-${dropId}`;
    const checkout = () =>
      api('POST', '/checkout', { token: buyer.token, body: { dropId, idempotencyKey: key } });
    expect(await waitsOnLock(idempotencyLockKey(buyer.id, key), checkout)).toBe(true);
  });

  it("a drop reservation waits on the buyer's lock as built by buyerLockKey", async () => {
    const { dropId } = await openDrop(api, creator, 2);
    const buyer = await createUser(testApp, api);
    const checkout = () =>
      api('POST', '/checkout', { token: buyer.token, body: { dropId, idempotencyKey: `lk-b-${dropId}` } });
    expect(await waitsOnLock(buyerLockKey(buyer.id), checkout)).toBe(true);
  });

  it("a listing checkout (inLockedTransaction) waits on the same key's lock", async () => {
    const { listingId } = await listedEdition(api, creator, 900);
    const buyer = await createUser(testApp, api);
    const key = `lk-listing-${listingId}`;
    const checkout = () =>
      api('POST', '/checkout', { token: buyer.token, body: { listingId, idempotencyKey: key } });
    expect(await waitsOnLock(idempotencyLockKey(buyer.id, key), checkout)).toBe(true);
    // And a lock no checkout takes holds nothing back.
    const other = await listedEdition(api, creator, 900);
    const free = () =>
      api('POST', '/checkout', {
        token: buyer.token,
        body: { listingId: other.listingId, idempotencyKey: `lk-free-${other.listingId}` },
      });
    // (A generous window: only a wait on a lock would take this long.)
    expect(await waitsOnLock(`checkout:nobody:${key}`, free, 3000)).toBe(false);
  });
});
