import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, listedEdition, listToken, openDrop } from './support/checkout.js';
import {
  createCollection,
  createUser,
  mintEditions,
  uploadImage,
  type TestUser,
} from './support/factories.js';
import { client, type Client } from './support/http.js';

interface Offer {
  listingId: string;
  kind: string;
  dropId: string | null;
  priceMinor: number;
  currency: string;
  startsAt: string | null;
  available: boolean;
}
interface Series {
  id: string;
  name: string;
  editions: { total: number; available: number };
  cheapest: {
    tokenId: string;
    listingId: string;
    dropId: string | null;
    editionNumber: number;
    price: { amountMinor: number; currency: string };
  } | null;
}

// Other test files share this database: every assertion is scoped to a collection made here.
describe('catalogue (e2e): buying what one browses — offers, series, CJK search, drops not yet open', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  const get = async (path: string, params: Record<string, string | string[]>) => {
    const qs = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      for (const v of Array.isArray(value) ? value : [value]) qs.append(key, v);
    }
    return api('GET', `${path}?${qs}`);
  };
  const tokens = async (params: Record<string, string | string[]>) => {
    const response = await get('/catalogue/tokens', { limit: '100', ...params });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.items as { id: string; name: string; offer: Offer | null }[];
  };
  const series = async (params: Record<string, string | string[]>) => {
    const response = await get('/catalogue/series', { limit: '100', ...params });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as { items: Series[]; nextCursor: string | null };
  };
  const buy = async (target: { listingId?: string; dropId?: string; tokenId?: string }) => {
    const buyer = await createUser(testApp, api);
    const response = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout(target) });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body.status).toBe('paid');
    return response.body;
  };
  const mintNamed = async (collectionId: string, items: { name: string; description?: string }[]) => {
    const image = await uploadImage(api, creator);
    const response = await api('POST', `/collections/${collectionId}/mint`, {
      token: creator.token,
      body: {
        idempotencyKey: `cjk-${randomUUID()}`,
        items: items.map(({ name, description }) => ({
          metadata: { name, description: description ?? '', image: `ipfs://${image}`, attributes: [] },
        })),
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.tokenIds as string[];
  };

  beforeAll(async () => {
    testApp = await startTestApp({}, undefined, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('finds Chinese text by substring: 鹤 and 仙 find 仙鹤; Latin words keep full-text search', async () => {
    const collection = await createCollection(api, creator);
    const word = `zq${randomUUID().slice(0, 8)}`;
    const [crane, egret, mixed, latin] = await mintNamed(collection.id, [
      { name: '仙鹤' },
      { name: '白鹭', description: '湖边的鸟' },
      { name: `Golden 仙鹤图 ${word}` },
      { name: `Crane ${word}`, description: 'a quiet bird' },
    ]);
    const found = async (q: string) =>
      (await tokens({ q, collection: collection.id })).map((t) => t.id).sort();
    expect(await found('鹤')).toEqual([crane, mixed].sort());
    expect(await found('仙')).toEqual([crane, mixed].sort());
    expect(await found('仙鹤')).toEqual([crane, mixed].sort());
    expect(await found('仙鹤图')).toEqual([mixed]);
    expect(await found('鸟')).toEqual([egret]); // the description counts too
    expect(await found('鹤 golden')).toEqual([mixed]); // terms AND-ed, Latin ones by substring here
    expect(await found('鹭鹤')).toEqual([]); // both bigrams' characters exist, the substring does not
    expect(await found(word)).toEqual([mixed, latin].sort());
    expect(await found('quiet')).toEqual([latin]);
    expect(await found('qui')).toEqual([]); // full-text words, not substrings, outside CJK
    const named = await createCollection(api, creator, { name: `丹顶鹤 ${word}`, description: '湿地' });
    const collections = await get('/catalogue/collections', { q: '顶鹤', creator: creator.handle });
    expect(collections.body.items.map((c: { id: string }) => c.id)).toEqual([named.id]);
    const heads = (await series({ q: '鹤', collection: collection.id })).items;
    expect(heads.map((s) => s.id).sort()).toEqual([crane, mixed].sort());
  });

  it('every search result carries its offer, and its listingId or tokenId buys it', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 2300);
    const collectionOf = async (id: string) =>
      (await api('GET', `/catalogue/tokens/${id}`)).body.collection.id as string;
    const collectionId = await collectionOf(tokenId);
    const [item] = await tokens({ collection: collectionId });
    expect(item.offer).toEqual({
      listingId,
      kind: 'primary',
      dropId: null,
      priceMinor: 2300,
      currency: 'USD',
      startsAt: null,
      available: true,
    });
    await buy({ listingId: item.offer!.listingId });
    const [after] = await tokens({ collection: collectionId });
    expect(after.offer).toBeNull();

    const { dropId, tokenIds } = await openDrop(api, creator, 2, { priceMinor: 1700 });
    const dropped = await tokens({ collection: await collectionOf(tokenIds[0]), available: 'true' });
    expect(dropped).toHaveLength(2);
    const edition = dropped.find((t) => t.id === tokenIds[0])!;
    expect(edition.offer).toMatchObject({ dropId, priceMinor: 1700, available: true });
    expect(edition.offer!.startsAt).not.toBeNull();
    await buy({ tokenId: edition.id });
  });

  it('groups editions into one series row whose counts and cheapest edition follow sales', async () => {
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 5, 'Heron');
    const single = await mintEditions(api, creator, collection.id, 1, 'Lone heron');
    await listToken(api, creator, tokenIds[1], 3000);
    await listToken(api, creator, tokenIds[3], 2000);
    const cheap = await listToken(api, creator, tokenIds[4], 1000);
    await listToken(api, creator, single.tokenIds[0], 5000, 'EUR');

    const first = await series({ collection: collection.id });
    expect(first.items).toHaveLength(2);
    const [lone, heron] = first.items; // newest first
    expect(lone).toMatchObject({ id: single.tokenIds[0], editions: { total: 1, available: 1 } });
    expect(lone.cheapest?.price).toEqual({ amountMinor: 5000, currency: 'EUR' });
    expect(heron).toMatchObject({
      id: tokenIds[0],
      name: 'Heron',
      editions: { total: 5, available: 3 },
      cheapest: {
        tokenId: tokenIds[4],
        listingId: cheap.listingId,
        dropId: null,
        editionNumber: 5,
        price: { amountMinor: 1000, currency: 'USD' },
      },
    });

    await buy({ tokenId: heron.cheapest!.tokenId });
    const [, afterSale] = (await series({ collection: collection.id })).items;
    expect(afterSale.editions).toEqual({ total: 5, available: 2 });
    expect(afterSale.cheapest).toMatchObject({ tokenId: tokenIds[3], price: { amountMinor: 2000 } });

    // Held by a buyer's checkout: not available to the next one.
    const holder = await createUser(testApp, api);
    const { idempotencyKey } = cardCheckout({});
    const held = await api('POST', '/checkout', {
      token: holder.token,
      body: { tokenId: tokenIds[3], idempotencyKey },
    });
    expect(held.body.status, JSON.stringify(held.body)).toBe('reserved');
    const [, whileHeld] = (await series({ collection: collection.id })).items;
    expect(whileHeld.editions.available).toBe(1);
    expect(whileHeld.cheapest?.tokenId).toBe(tokenIds[1]);

    // Only one currency's offers, and keyset pages of one row.
    const eur = await series({ collection: collection.id, currency: 'EUR' });
    expect(eur.items.map((s) => s.editions.available)).toEqual([1, 0]);
    const page1 = await series({ collection: collection.id, limit: '1', sort: 'oldest' });
    expect(page1.items.map((s) => s.id)).toEqual([tokenIds[0]]);
    const page2 = await series({
      collection: collection.id,
      limit: '1',
      sort: 'oldest',
      cursor: page1.nextCursor!,
    });
    expect(page2.items.map((s) => s.id)).toEqual([single.tokenIds[0]]);
    expect(page2.nextCursor).toBeNull();
  });

  it('a drop’s editions are not available before it starts: results, filters, series and token page', async () => {
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 3, 'Dawn');
    const startsAt = new Date(Date.now() + 3_600_000).toISOString();
    const drop = await api('POST', '/drops', {
      token: creator.token,
      body: { collectionId: collection.id, priceMinor: 900, currency: 'USD', startsAt },
    });
    expect(drop.status, JSON.stringify(drop.body)).toBe(201);
    const results = await tokens({ collection: collection.id });
    expect(results).toHaveLength(3);
    for (const token of results) {
      expect(token.offer).toMatchObject({ dropId: drop.body.dropId, startsAt, available: false });
    }
    expect(await tokens({ collection: collection.id, available: 'true' })).toEqual([]);
    expect(await tokens({ collection: collection.id, available: 'false' })).toHaveLength(3);
    const [row] = (await series({ collection: collection.id })).items;
    expect(row).toMatchObject({ editions: { total: 3, available: 0 }, cheapest: null });
    const page = await api('GET', `/catalogue/tokens/${tokenIds[0]}`);
    expect(page.body.offer).toMatchObject({ available: false, startsAt });
    const upcoming = await api('GET', '/drops?state=upcoming&limit=100');
    expect(upcoming.body.items.map((d: { dropId: string }) => d.dropId)).toContain(drop.body.dropId);
  });

  it('answers bad series queries with 400 problems', async () => {
    const badCursor = await get('/catalogue/series', { cursor: 'abc.def' });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.type).toMatch(/invalid-cursor$/);
    const tokenCursor = await get('/catalogue/tokens', { limit: '1' });
    if (tokenCursor.body.nextCursor) {
      const other = await get('/catalogue/series', { cursor: tokenCursor.body.nextCursor });
      expect(other.status).toBe(400);
    }
    expect((await get('/catalogue/series', { attr: 'nocolon' })).status).toBe(400);
    expect((await get('/catalogue/series', { sort: 'price_asc' })).status).toBe(400);
    expect((await get('/catalogue/series', { currency: 'usd' })).status).toBe(400);
  });
});
