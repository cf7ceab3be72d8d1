import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequencer } from '../libs/ledger/src/index.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import {
  createCollection,
  createUser,
  mintEditions,
  uploadImage,
  type TestUser,
} from './support/factories.js';
import { client, type Client } from './support/http.js';

// Other test files share this database: every assertion is scoped to a creator or collection made here.
describe('catalogue (e2e): search, filters, sorts and keyset pages on real PostgreSQL', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let other: TestUser;
  let collection: { id: string };
  const word = `zq${randomUUID().slice(0, 8)}`; // a search term only this file uses
  const ids: Record<string, string[]> = {};

  const search = async (params: Record<string, string | string[]>) => {
    const qs = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      for (const v of Array.isArray(value) ? value : [value]) qs.append(key, v);
    }
    return api('GET', `/catalogue/tokens?${qs}`);
  };
  const idsOf = async (params: Record<string, string | string[]>) => {
    const response = await search({ limit: '100', ...params });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.items.map((item: { id: string }) => item.id) as string[];
  };
  /** Follows nextCursor to the end and returns every page's ids. */
  const allPages = async (params: Record<string, string | string[]>, between?: () => Promise<void>) => {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const response = await search(cursor ? { ...params, cursor } : params);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      pages.push(response.body.items.map((item: { id: string }) => item.id));
      cursor = response.body.nextCursor;
      if (cursor && between) await between();
    } while (cursor);
    return pages;
  };

  const mint = async (
    owner: TestUser,
    collectionId: string,
    items: { name: string; description: string; editions?: number; attributes?: unknown[] }[],
  ) => {
    const image = await uploadImage(api, owner);
    const response = await api('POST', `/collections/${collectionId}/mint`, {
      token: owner.token,
      body: {
        idempotencyKey: `cat-${randomUUID()}`,
        items: items.map(({ editions, ...metadata }) => ({
          editions,
          metadata: { attributes: [], ...metadata, image: `ipfs://${image}` },
        })),
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.tokenIds as string[];
  };

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    other = await createUser(testApp, api, ['creator']);
    collection = await createCollection(api, creator, {
      name: `Night garden ${word}`,
      description: 'Foxes and owls',
    });
    ids.amber = await mint(creator, collection.id, [
      {
        name: `Amber fox ${word}`,
        description: 'A fox asleep under lanterns',
        attributes: [
          { trait_type: 'color', value: 'red' },
          { trait_type: 'level', value: 5, display_type: 'number' },
        ],
      },
    ]);
    ids.owl = await mint(creator, collection.id, [
      {
        name: `Blue owl ${word}`,
        description: 'An owl at midnight',
        attributes: [{ trait_type: 'color', value: 'blue' }],
      },
    ]);
    ids.green = await mint(creator, collection.id, [
      {
        name: `Green fox ${word}`,
        description: 'Three foxes in the moss',
        editions: 3,
        attributes: [
          { trait_type: 'color', value: 'green' },
          { trait_type: 'level', value: '5' },
        ],
      },
    ]);
    const otherCollection = await createCollection(api, other, { name: `Harbour ${word}` });
    ids.other = await mint(other, otherCollection.id, [
      { name: `Grey fox ${word}`, description: 'A harbour fox' },
    ]);
    // Listings (as the checkout lib writes them): price columns mirror the active listing.
    const price = (id: string, minor: number | null, currency: string | null) =>
      sql(testApp.databaseUrl, `UPDATE tokens SET price_minor = $2, currency = $3 WHERE id = $1`, [
        id,
        minor,
        currency,
      ]);
    await price(ids.amber[0], 5000, 'USD');
    await price(ids.owl[0], 1500, 'USD');
    await price(ids.green[0], 1500, 'USD');
    await price(ids.green[1], 9000, 'EUR');
    await price(ids.green[2], 2500, 'USD');
    await sql(testApp.databaseUrl, `UPDATE tokens SET status = 'frozen' WHERE id = $1`, [ids.green[2]]);
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('finds tokens by full text, with web search syntax', async () => {
    const everything = [...ids.amber, ...ids.owl, ...ids.green, ...ids.other];
    expect(new Set(await idsOf({ q: word }))).toEqual(new Set(everything));
    expect(new Set(await idsOf({ q: `${word} fox` }))).toEqual(
      new Set([...ids.amber, ...ids.green, ...ids.other]),
    );
    expect(await idsOf({ q: `${word} "amber fox"` })).toEqual(ids.amber);
    expect(new Set(await idsOf({ q: `${word} fox -green -grey` }))).toEqual(new Set(ids.amber));
    expect(await idsOf({ q: `${word} midnight` })).toEqual(ids.owl); // description words count too
    expect(await idsOf({ q: `${word} unicorn` })).toEqual([]);
  });

  it('filters by creator (id or handle) and collection', async () => {
    const mine = new Set([...ids.amber, ...ids.owl, ...ids.green]);
    expect(new Set(await idsOf({ creator: creator.handle }))).toEqual(mine);
    expect(new Set(await idsOf({ creator: creator.id }))).toEqual(mine);
    expect(await idsOf({ creator: other.handle })).toEqual(ids.other);
    expect(await idsOf({ creator: 'nobody_has_this' })).toEqual([]);
    expect(new Set(await idsOf({ collection: collection.id }))).toEqual(mine);
    expect(await idsOf({ collection: collection.id, q: 'owl' })).toEqual(ids.owl);
  });

  it('filters by price range in one currency and by availability', async () => {
    const scoped = { collection: collection.id };
    expect(new Set(await idsOf({ ...scoped, currency: 'USD', minPrice: '1000', maxPrice: '2000' }))).toEqual(
      new Set([ids.owl[0], ids.green[0]]),
    );
    expect(await idsOf({ ...scoped, currency: 'EUR' })).toEqual([ids.green[1]]);
    expect(await idsOf({ ...scoped, currency: 'USD', minPrice: '3000' })).toEqual([ids.amber[0]]);
    // The frozen token keeps its price column but is not for sale.
    expect(new Set(await idsOf({ ...scoped, available: 'true' }))).toEqual(
      new Set([ids.amber[0], ids.owl[0], ids.green[0], ids.green[1]]),
    );
    expect(new Set(await idsOf({ ...scoped, available: 'false' }))).toEqual(new Set([ids.green[2]]));
    expect((await api('GET', `/catalogue/tokens/${ids.green[2]}`)).body).toMatchObject({
      status: 'frozen',
      price: null,
    });
    const noCurrency = await search({ ...scoped, minPrice: '1' });
    expect(noCurrency.status).toBe(400);
    expect(noCurrency.body.type).toMatch(/currency-required$/);
    const inverted = await search({ ...scoped, currency: 'USD', minPrice: '5', maxPrice: '4' });
    expect(inverted.status).toBe(400);
  });

  it('filters by attribute values: one trait OR-ed, several traits AND-ed, numbers and strings alike', async () => {
    const scoped = { collection: collection.id };
    expect(await idsOf({ ...scoped, attr: 'color:red' })).toEqual(ids.amber);
    expect(new Set(await idsOf({ ...scoped, attr: ['color:red', 'color:blue'] }))).toEqual(
      new Set([...ids.amber, ...ids.owl]),
    );
    expect(new Set(await idsOf({ ...scoped, attr: 'level:5' }))).toEqual(
      new Set([...ids.amber, ...ids.green]),
    );
    expect(await idsOf({ ...scoped, attr: ['level:5', 'color:red'] })).toEqual(ids.amber);
    expect(await idsOf({ ...scoped, attr: 'color:purple' })).toEqual([]);
    expect((await search({ attr: 'no-colon' })).status).toBe(400);
  });

  it('sorts newest, oldest and by price (listed tokens only, ties broken by mint order)', async () => {
    const scoped = { collection: collection.id };
    const minted = [...ids.amber, ...ids.owl, ...ids.green];
    const newest = await idsOf(scoped);
    expect(newest.slice(0, 3).sort()).toEqual([...ids.green].sort()); // last batch first
    expect(newest.slice(3)).toEqual([ids.owl[0], ids.amber[0]]);
    const oldest = await idsOf({ ...scoped, sort: 'oldest' });
    expect(oldest).toEqual([...newest].reverse());
    expect(new Set(oldest)).toEqual(new Set(minted));
    expect(await idsOf({ ...scoped, sort: 'price_asc', currency: 'USD' })).toEqual([
      ids.owl[0],
      ids.green[0],
      ids.amber[0],
    ]);
    expect(await idsOf({ ...scoped, sort: 'price_desc', currency: 'USD' })).toEqual([
      ids.amber[0],
      ids.green[0],
      ids.owl[0],
    ]);
    expect((await search({ ...scoped, sort: 'price_asc' })).status).toBe(400);
    // Price pages continue across the tie at 1500.
    expect((await allPages({ ...scoped, sort: 'price_asc', currency: 'USD', limit: '1' })).flat()).toEqual([
      ids.owl[0],
      ids.green[0],
      ids.amber[0],
    ]);
  });

  it('returns listing items with handles, edition labels, media and price, never e-mails', async () => {
    const response = await search({ collection: collection.id, attr: 'color:red' });
    const [item] = response.body.items;
    expect(item).toMatchObject({
      id: ids.amber[0],
      name: `Amber fox ${word}`,
      edition: { number: 1, total: 1, label: '1 of 1' },
      collection: { id: collection.id, name: `Night garden ${word}` },
      creatorHandle: creator.handle,
      ownerHandle: creator.handle,
      status: 'active',
      price: { amountMinor: 5000, currency: 'USD' },
    });
    expect(item.image).toMatch(/^ipfs:\/\/baf/);
    expect(item.mediaUrl).toBe(`/media/${item.image.slice('ipfs://'.length)}`);
    expect(JSON.stringify(response.body)).not.toContain(creator.email);
  });

  it('serves a token page with metadata, owner handle, price and ledger provenance', async () => {
    await testApp.app.get(Sequencer).drain();
    const response = await api('GET', `/catalogue/tokens/${ids.green[1]}`);
    expect(response.status).toBe(200);
    const page = response.body;
    expect(page).toMatchObject({
      id: ids.green[1],
      name: `Green fox ${word}`,
      description: 'Three foxes in the moss',
      collection: { id: collection.id, name: `Night garden ${word}`, royaltyBps: 500 },
      ownerHandle: creator.handle,
      status: 'active',
      price: { amountMinor: 9000, currency: 'EUR' },
      metadata: {
        name: `Green fox ${word}`,
        description: 'Three foxes in the moss',
        attributes: [
          { trait_type: 'color', value: 'green' },
          { trait_type: 'level', value: '5' },
        ],
      },
      historyPending: 0,
    });
    expect(page.edition.total).toBe(3);
    expect(page.edition.label).toBe(`${page.edition.number} of 3`);
    expect(page.metadata.image).toBe(page.image);
    expect(page.mediaUrl).toBe(`/media/${page.image.slice('ipfs://'.length)}`);
    expect(page.history).toEqual([
      {
        index: expect.any(Number),
        seq: 0,
        type: 'mint',
        at: expect.any(String),
        ownerHandle: creator.handle,
      },
    ]);
    const body = JSON.stringify(page);
    expect(body).not.toContain(creator.email);
    expect(body).not.toContain(creator.id);
    const media = await fetch(`${testApp.url}${page.mediaUrl}`);
    expect(media.status).toBe(200);
    expect((await api('GET', '/catalogue/tokens/tok_doesNotExist')).status).toBe(404);
  });

  it('lists collections by text and creator with keyset pages', async () => {
    const extra = [];
    for (let i = 0; i < 3; i++)
      extra.push((await createCollection(api, other, { name: `Tide ${i} ${word}` })).id);
    const list = async (params: Record<string, string>) => {
      const response = await api('GET', `/catalogue/collections?${new URLSearchParams(params)}`);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return response.body;
    };
    const mine = await list({ q: word, creator: creator.handle });
    expect(mine.items.map((c: { id: string }) => c.id)).toEqual([collection.id]);
    expect(mine.items[0]).toMatchObject({
      name: `Night garden ${word}`,
      creatorHandle: creator.handle,
      minted: 5,
    });
    expect(JSON.stringify(mine)).not.toContain(creator.id);
    const pages: string[] = [];
    let page = await list({ q: `${word} tide`, limit: '2' });
    pages.push(...page.items.map((c: { id: string }) => c.id));
    while (page.nextCursor) {
      page = await list({ q: `${word} tide`, limit: '2', cursor: page.nextCursor });
      pages.push(...page.items.map((c: { id: string }) => c.id));
    }
    expect(pages).toEqual([...extra].reverse());
    const oldest = await list({ creator: other.handle, sort: 'oldest' });
    expect(oldest.items.map((c: { id: string }) => c.id).slice(-3)).toEqual(extra);
  });

  it('pages through newest with no duplicates or gaps while tokens keep being minted', async () => {
    const minter = await createUser(testApp, api, ['creator']);
    const collections = [await createCollection(api, minter), await createCollection(api, minter)];
    for (const c of collections) await mintEditions(api, minter, c.id, 25, `Seed ${word}`);
    const log: { ids: string[]; started: number; finished: number }[] = [];
    let minting = true;
    // Two loops into two collections: their transactions overlap, so commits race each other.
    const loops = collections.map(async (c, n) => {
      for (let i = 0; minting; i++) {
        const started = performance.now();
        const { tokenIds } = await mintEditions(api, minter, c.id, 1 + ((i + n) % 4), `Live ${word}`);
        log.push({ ids: tokenIds, started, finished: performance.now() });
      }
    });
    await new Promise((r) => setTimeout(r, 150));
    const beforePage1 = performance.now();
    const first = await search({ creator: minter.handle, limit: '7' });
    const afterPage1 = performance.now();
    const pages = [first.body.items.map((item: { id: string }) => item.id)];
    let cursor: string | null = first.body.nextCursor;
    let mintsDuringPaging = 0;
    while (cursor) {
      // Let at least one more mint commit between pages.
      const seen = log.length;
      while (log.length === seen) await new Promise((r) => setTimeout(r, 5));
      mintsDuringPaging += log.length - seen;
      const response = await search({ creator: minter.handle, limit: '7', cursor });
      expect(response.status).toBe(200);
      pages.push(response.body.items.map((item: { id: string }) => item.id));
      cursor = response.body.nextCursor;
    }
    minting = false;
    await Promise.all(loops);

    const union = pages.flat();
    expect(new Set(union).size).toBe(union.length); // no duplicates
    // Exactly the tokens that existed when page 1 was read: its first row is the newest one then.
    const [{ seq: top }] = await sql(testApp.databaseUrl, `SELECT seq FROM tokens WHERE id = $1`, [
      pages[0][0],
    ]);
    const existing = await sql<{ id: string }>(
      testApp.databaseUrl,
      `SELECT id FROM tokens WHERE creator_id = $1 AND seq <= $2 ORDER BY seq DESC`,
      [minter.id, top],
    );
    expect(union).toEqual(existing.map((row) => row.id)); // no gaps, newest first
    // Cross-check with the minters' own clocks.
    const committedBefore = log.filter((m) => m.finished < beforePage1).flatMap((m) => m.ids);
    const startedAfter = log.filter((m) => m.started > afterPage1).flatMap((m) => m.ids);
    expect(union).toEqual(expect.arrayContaining(committedBefore));
    expect(union.filter((id) => startedAfter.includes(id))).toEqual([]);
    expect(mintsDuringPaging).toBeGreaterThan(0);
    expect(startedAfter.length).toBeGreaterThan(0);
  });

  it('refuses bad cursors, foreign cursors and unknown or out-of-range parameters with problem+json', async () => {
    const first = await search({ collection: collection.id, limit: '1' });
    const cursor: string = first.body.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const tampered = `${cursor.slice(0, 4)}${cursor[4] === 'A' ? 'B' : 'A'}${cursor.slice(5)}`;
    const attempts: Record<string, string>[] = [
      { collection: collection.id, cursor: tampered },
      { collection: collection.id, cursor: 'garbage' },
      { collection: collection.id, cursor: `${cursor}x` },
      { collection: collection.id, sort: 'oldest', cursor }, // another listing's cursor
      { q: word, cursor },
    ];
    for (const params of attempts) {
      const response = await search(params);
      expect(response.status, JSON.stringify(params)).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(response.body.type).toMatch(/(invalid-cursor|validation-failed)$/);
    }
    const foreign = await api('GET', `/catalogue/collections?cursor=${encodeURIComponent(cursor)}`);
    expect(foreign.status).toBe(400);
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=ten',
      'sort=random',
      'colour=red',
      'minPrice=-1&currency=USD',
      'currency=usd',
      'collection=nope',
      'available=yes',
    ]) {
      const response = await api('GET', `/catalogue/tokens?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    expect((await api('GET', '/catalogue/collections?sort=price_asc')).status).toBe(400);
    const openApi = await api('GET', '/docs/openapi.json');
    const documented = openApi.body.paths['/catalogue/tokens'].get.parameters.map(
      (p: { name: string }) => p.name,
    );
    expect(documented).toEqual(
      expect.arrayContaining(['q', 'creator', 'collection', 'attr', 'sort', 'limit', 'cursor']),
    );
    expect((await api('GET', '/catalogue/tokens?limit=100')).status).toBe(200);
  });
});
