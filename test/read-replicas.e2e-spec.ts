import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../libs/database/src/index.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, listToken } from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { startStreamingPair, type StreamingPair } from './support/streaming-replica.js';

interface TokenPage {
  ownerHandle: string | null;
  offer: { listingId: string } | null;
}

// A real physical streaming replica of a scratch primary; replay is paused on it with
// pg_wal_replay_pause(), so what it serves is provably stale and what the primary serves is not.
describe('read replicas (e2e): stale-tolerant reads on a streaming replica, own writes seen at once', () => {
  let pair: StreamingPair;
  let replicaDb: string;
  let testApp: TestApp;
  let api: Client;
  /** Same database and replica, but a lag bound of 1 s. */
  let strictApp: TestApp;
  let strictApi: Client;
  let creator: TestUser;
  let buyer: TestUser;
  let collectionId: string;
  let tokenIds: string[];

  beforeAll(async () => {
    pair = await startStreamingPair();
    await sql(pair.primaryUrl, 'CREATE DATABASE heirloom');
    const primaryDb = withDatabase(pair.primaryUrl, 'heirloom');
    replicaDb = withDatabase(pair.replicaUrl, 'heirloom');
    testApp = await startTestApp(
      { DATABASE_READ_URL: replicaDb, DATABASE_READ_MAX_LAG_MS: '60000' },
      primaryDb,
    );
    api = client(testApp.url);
    strictApp = await startTestApp(
      { DATABASE_READ_URL: replicaDb, DATABASE_READ_MAX_LAG_MS: '1000' },
      primaryDb,
      { jobs: false },
    );
    strictApi = client(strictApp.url);
    creator = await createUser(testApp, api, ['creator']);
    buyer = await createUser(testApp, api);
    collectionId = (await createCollection(api, creator)).id;
    tokenIds = (await mintEditions(api, creator, collectionId, 3)).tokenIds;
    await pair.caughtUp();
  }, 180_000);

  afterAll(async () => {
    await sql(replicaDb, 'SELECT pg_wal_replay_resume()').catch(() => undefined);
    await strictApp?.close();
    await testApp?.close();
    await pair?.stop();
  });

  const page = async (tokenId: string, reader?: TestUser, via = api) => {
    const response = await via('GET', `/catalogue/tokens/${tokenId}`, { token: reader?.token });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as TokenPage;
  };
  const listed = async (reader?: TestUser) => {
    const response = await api('GET', `/catalogue/tokens?collection=${collectionId}&limit=100`, {
      token: reader?.token,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return (response.body.items as { id: string; offer: unknown }[])
      .filter((item) => item.offer)
      .map((i) => i.id);
  };

  it('serves anonymous catalogue reads from the paused replica, and a buyer their own purchase from the primary', async () => {
    const [tokenId] = tokenIds;
    expect(await page(tokenId)).toMatchObject({ ownerHandle: creator.handle, offer: null });
    await sql(replicaDb, 'SELECT pg_wal_replay_pause()');

    const { listingId } = await listToken(api, creator, tokenId, 2500);
    // Anonymous: the replica, which has not replayed the listing (stale, within the 60 s bound)…
    expect((await page(tokenId)).offer).toBeNull();
    expect(await listed()).toEqual([]);
    // …while the seller, signed in, sees their own listing (routed to the primary by their fence).
    expect((await page(tokenId, creator)).offer).toMatchObject({ listingId });
    expect(await listed(creator)).toEqual([tokenId]);

    const checkout = await api('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ listingId }),
    });
    expect(checkout.status, JSON.stringify(checkout.body)).toBe(201);
    expect(checkout.body.status).toBe('paid');
    // The buyer sees the purchase at once; anyone else still gets the replica's older page.
    expect(await page(tokenId, buyer)).toMatchObject({ ownerHandle: buyer.handle, offer: null });
    expect(await page(tokenId)).toMatchObject({ ownerHandle: creator.handle, offer: null });
    // A signed-in reader with no write of their own since the replica's position reads the replica too.
    const bystander = await createUser(testApp, api);
    expect((await page(tokenId, bystander)).ownerHandle).toBe(creator.handle);

    await sql(replicaDb, 'SELECT pg_wal_replay_resume()');
    await pair.caughtUp();
    expect(await page(tokenId)).toMatchObject({ ownerHandle: buyer.handle, offer: null });
    expect(await page(tokenId, buyer)).toMatchObject({ ownerHandle: buyer.handle, offer: null });
  }, 60_000);

  it('stops reading a replica once it is further behind than DATABASE_READ_MAX_LAG_MS', async () => {
    const tokenId = tokenIds[1];
    await sql(replicaDb, 'SELECT pg_wal_replay_pause()');
    try {
      await listToken(api, creator, tokenId, 3100);
      // Within the lenient app's 60 s bound the replica still answers, stale.
      expect((await page(tokenId)).offer).toBeNull();
      // Past the strict app's 1 s bound (measured from the last transaction the replica replayed,
      // its measurement cached for up to 1 s), the primary answers.
      await new Promise((resolve) => setTimeout(resolve, 2200));
      expect((await page(tokenId, undefined, strictApi)).offer).not.toBeNull();
      expect((await page(tokenId)).offer).toBeNull();
    } finally {
      await sql(replicaDb, 'SELECT pg_wal_replay_resume()');
    }
    await pair.caughtUp();
    expect((await page(tokenId)).offer).not.toBeNull();
  }, 60_000);

  it('answers a token the replica has not replayed yet from the primary, not 404', async () => {
    await sql(replicaDb, 'SELECT pg_wal_replay_pause()');
    try {
      const [fresh] = (await mintEditions(api, creator, collectionId, 1)).tokenIds;
      const response = await api('GET', `/catalogue/tokens/${fresh}`);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
    } finally {
      await sql(replicaDb, 'SELECT pg_wal_replay_resume()');
    }
  }, 60_000);
});
