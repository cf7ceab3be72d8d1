import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequencer } from '../libs/ledger/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { createCollection, createUser, uploadImage, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { uniquePng } from './support/media.js';

/** Every file under a folder (relative paths), to show an upload stored nothing. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((path) => statSync(join(dir, path)).isFile())
      .sort();
  } catch {
    return [];
  }
}

const metadata = (image: string, extra: Record<string, unknown> = {}) => ({
  name: 'Lantern',
  description: 'A paper lantern',
  image: `ipfs://${image}`,
  attributes: [{ trait_type: 'color', value: 'amber' }],
  ...extra,
});

// Shares the run's database with other files: counts are scoped to collections and uploaders made here.
describe('minting and content (e2e): real HTTP on real PostgreSQL', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let rival: TestUser;
  let collector: TestUser;
  let collection: { id: string };
  let image: string;

  const mint = (
    user: TestUser,
    collectionId: string,
    items: unknown[],
    idempotencyKey = `mint-${randomUUID()}`,
  ) =>
    api('POST', `/collections/${collectionId}/mint`, { token: user.token, body: { idempotencyKey, items } });
  const tokenCount = async (collectionId: string) =>
    Number(
      (
        await sql(testApp.databaseUrl, `SELECT count(*) FROM tokens WHERE collection_id = $1`, [collectionId])
      )[0].count,
    );
  const mediaCount = async (uploader: TestUser) =>
    Number(
      (await sql(testApp.databaseUrl, `SELECT count(*) FROM media WHERE uploaded_by = $1`, [uploader.id]))[0]
        .count,
    );

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    rival = await createUser(testApp, api, ['creator']);
    collector = await createUser(testApp, api);
    collection = await createCollection(api, creator);
    image = await uploadImage(api, creator);
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('uploads media and serves it back byte-identical, with its CID', async () => {
    const bytes = uniquePng();
    const upload = await api('POST', '/media', {
      token: creator.token,
      rawBody: bytes,
      headers: { 'content-type': 'image/png' },
    });
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({
      mime: 'image/png',
      size: bytes.length,
      uri: `ipfs://${upload.body.cid}`,
    });
    const served = await fetch(`${testApp.url}/media/${upload.body.cid}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('mints a 1-of-1 and a 500-edition batch, each token with a ledger mint entry', async () => {
    const single = await mint(creator, collection.id, [{ metadata: metadata(image, { name: 'Only one' }) }]);
    expect(single.status).toBe(201);
    expect(single.body).toMatchObject({ collectionId: collection.id, created: true });
    expect(single.body.tokenIds).toHaveLength(1);
    const batch = await mint(creator, collection.id, [{ editions: 500, metadata: metadata(image) }]);
    expect(batch.status).toBe(201);
    const tokenIds: string[] = batch.body.tokenIds;
    expect(new Set(tokenIds).size).toBe(500);

    const rows = await sql(
      testApp.databaseUrl,
      `SELECT id, edition_number, edition_total, owner_id, status, name FROM tokens WHERE id = ANY($1) ORDER BY edition_number`,
      [tokenIds],
    );
    expect(rows.map((r) => r.edition_number)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(
      rows.every((r) => r.edition_total === 500 && r.owner_id === creator.id && r.status === 'active'),
    ).toBe(true);
    const [one] = await sql(
      testApp.databaseUrl,
      `SELECT edition_number, edition_total FROM tokens WHERE id = $1`,
      [single.body.tokenIds[0]],
    );
    expect(one).toEqual({ edition_number: 1, edition_total: 1 });

    await testApp.app.get(Sequencer).drain();
    const entries = await sql(
      testApp.databaseUrl,
      `SELECT token_id, entry FROM ledger_entries WHERE token_id = ANY($1)`,
      [[...tokenIds, ...single.body.tokenIds]],
    );
    expect(entries).toHaveLength(501);
    const entry = JSON.parse(entries.find((e) => e.token_id === tokenIds[0])!.entry.toString('utf8'));
    expect(entry).toMatchObject({
      type: 'mint',
      token: tokenIds[0],
      seq: 0,
      from: null,
      to: creator.id,
      ref: collection.id,
    });

    const page = await api('GET', `/catalogue/tokens/${tokenIds[41]}`);
    expect(page.body.edition).toEqual({ number: 42, total: 500, label: '42 of 500' });
    expect(page.body.history).toEqual([
      expect.objectContaining({ type: 'mint', ownerHandle: creator.handle }),
    ]);
  });

  it('lets only creators create collections and only the owner mint into one', async () => {
    const before = await tokenCount(collection.id);
    const byCollector = await mint(collector, collection.id, [{ metadata: metadata(image) }]);
    expect(byCollector.status).toBe(403);
    expect(byCollector.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const collectorCollection = await api('POST', '/collections', {
      token: collector.token,
      body: { name: 'Not allowed', royaltyBps: 100 },
    });
    expect(collectorCollection.status).toBe(403);
    const rivalImage = await uploadImage(api, rival);
    const byRival = await mint(rival, collection.id, [{ metadata: metadata(rivalImage) }]);
    expect(byRival.status).toBe(403);
    const anonymous = await api('POST', `/collections/${collection.id}/mint`, {
      body: { idempotencyKey: `mint-${randomUUID()}`, items: [{ metadata: metadata(image) }] },
    });
    expect(anonymous.status).toBe(401);
    expect(await tokenCount(collection.id)).toBe(before);
  });

  it('mints nothing when one item of a batch is bad', async () => {
    const before = await tokenCount(collection.id);
    const ledgerSize = async () =>
      Number((await sql(testApp.databaseUrl, `SELECT count(*) AS n FROM ledger_entries`))[0].n);
    const ledgerBefore = await ledgerSize();
    const key = `mint-${randomUUID()}`;
    const invalid = await mint(
      creator,
      collection.id,
      [
        { editions: 20, metadata: metadata(image) },
        { metadata: metadata(image, { name: '' }) },
        { editions: 5, metadata: metadata(image) },
      ],
      key,
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors).toEqual([expect.objectContaining({ item: 1 })]);
    const unknownMedia = await mint(creator, collection.id, [
      { editions: 3, metadata: metadata(image) },
      { metadata: metadata('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy') },
    ]);
    expect(unknownMedia.status).toBe(422);
    expect(await tokenCount(collection.id)).toBe(before);
    expect(await ledgerSize()).toBe(ledgerBefore);
    // The failed request did not burn its idempotency key.
    const fixed = await mint(creator, collection.id, [{ editions: 2, metadata: metadata(image) }], key);
    expect(fixed.status).toBe(201);
    expect(await tokenCount(collection.id)).toBe(before + 2);
  });

  it('mints once per idempotency key, and refuses another request under the same key', async () => {
    const before = await tokenCount(collection.id);
    const key = `mint-${randomUUID()}`;
    const items = [{ editions: 3, metadata: metadata(image, { name: 'Once' }) }];
    const [first, concurrent] = await Promise.all([
      mint(creator, collection.id, items, key),
      mint(creator, collection.id, items, key),
    ]);
    const again = await mint(creator, collection.id, items, key);
    for (const response of [first, concurrent, again]) expect(response.status).toBe(201);
    expect(concurrent.body.tokenIds).toEqual(first.body.tokenIds);
    expect(again.body).toEqual({ ...first.body, created: false });
    expect(await tokenCount(collection.id)).toBe(before + 3);
    const different = await mint(
      creator,
      collection.id,
      [{ editions: 4, metadata: metadata(image, { name: 'Once' }) }],
      key,
    );
    expect(different.status).toBe(409);
    expect(different.body.type).toMatch(/idempotency-key-reused$/);
    expect(await tokenCount(collection.id)).toBe(before + 3);
  });

  it('refuses invalid metadata with 422 and every error listed', async () => {
    const before = await tokenCount(collection.id);
    const response = await mint(creator, collection.id, [
      {
        metadata: {
          name: 'x',
          image: 'https://example.com/a.png',
          attributes: [{ trait_type: 'a' }],
          extra: true,
        },
      },
    ]);
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(response.body.type).toMatch(/invalid-metadata$/);
    const paths = response.body.errors.map((e: { path: string }) => e.path);
    expect(paths.length).toBeGreaterThanOrEqual(3); // missing description, bad image URI, bad attribute, extra field
    expect(await tokenCount(collection.id)).toBe(before);
  });

  it('enforces the collection supply cap, all or nothing', async () => {
    const capped = await createCollection(api, creator, { supplyCap: 3 });
    expect((await mint(creator, capped.id, [{ editions: 2, metadata: metadata(image) }])).status).toBe(201);
    const over = await mint(creator, capped.id, [{ editions: 2, metadata: metadata(image) }]);
    expect(over.status).toBe(409);
    expect(over.body.type).toMatch(/supply-cap-exceeded$/);
    expect(await tokenCount(capped.id)).toBe(2);
    expect((await mint(creator, capped.id, [{ metadata: metadata(image) }])).status).toBe(201);
    expect(await tokenCount(capped.id)).toBe(3);
  });

  it('refuses spoofed content types and stores nothing', async () => {
    const contentDir = join(testApp.config.dataDir, 'content');
    const filesBefore = filesUnder(contentDir);
    const mediaBefore = await mediaCount(creator);
    const pngAsVideo = await api('POST', '/media', {
      token: creator.token,
      rawBody: uniquePng(),
      headers: { 'content-type': 'video/mp4' },
    });
    expect(pngAsVideo.status).toBeGreaterThanOrEqual(400);
    expect(pngAsVideo.status).toBeLessThan(500);
    expect(pngAsVideo.body.type).toMatch(/media-type-mismatch$/);
    const textAsPng = await api('POST', '/media', {
      token: creator.token,
      rawBody: Buffer.from(`just some text, not an image ${randomUUID()}\n`.repeat(20)),
      headers: { 'content-type': 'image/png' },
    });
    expect(textAsPng.status).toBeGreaterThanOrEqual(400);
    expect(textAsPng.status).toBeLessThan(500);
    expect(textAsPng.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const byCollector = await api('POST', '/media', {
      token: collector.token,
      rawBody: uniquePng(),
      headers: { 'content-type': 'image/png' },
    });
    expect(byCollector.status).toBe(403);
    expect(await mediaCount(creator)).toBe(mediaBefore);
    expect(filesUnder(contentDir).filter((f) => !f.startsWith('.tmp'))).toEqual(
      filesBefore.filter((f) => !f.startsWith('.tmp')),
    );
    expect(filesUnder(join(contentDir, '.tmp'))).toEqual([]);
  });

  it('refuses an upload over MAX_UPLOAD_BYTES with 413 and stores nothing', async () => {
    const small = await startTestApp({ MAX_UPLOAD_BYTES: '1024' });
    try {
      const smallApi = client(small.url);
      const uploader = await createUser(small, smallApi, ['creator']);
      const contentDir = join(small.config.dataDir, 'content');
      const tooBig = Buffer.concat([uniquePng(), Buffer.alloc(4096, 7)]);
      const response = await smallApi('POST', '/media', {
        token: uploader.token,
        rawBody: tooBig,
        headers: { 'content-type': 'image/png' },
      });
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(filesUnder(contentDir)).toEqual([]);
      expect(await mediaCount(uploader)).toBe(0);
      const fits = await smallApi('POST', '/media', {
        token: uploader.token,
        rawBody: uniquePng(),
        headers: { 'content-type': 'image/png' },
      });
      expect(fits.status).toBe(201);
    } finally {
      await small.close();
    }
  });

  it('detects a corrupted file on disk and never serves it', async () => {
    // Its own database: the integrity job checks every media row against this app's content folder.
    const scratch = await createScratchDatabase();
    const isolated = await startTestApp({}, scratch.url);
    try {
      const isolatedApi = client(isolated.url);
      const uploader = await createUser(isolated, isolatedApi, ['creator']);
      const operator = await createUser(isolated, isolatedApi, ['operator']);
      const [good, bad] = [
        await uploadImage(isolatedApi, uploader),
        await uploadImage(isolatedApi, uploader),
      ];
      const path = join(isolated.config.dataDir, 'content', bad.slice(-3, -1), bad);
      const bytes = readFileSync(path);
      bytes[bytes.length - 1] ^= 0xff;
      writeFileSync(path, bytes);

      // Even before the job runs, small content is verified whole before a byte is sent.
      const early = await fetch(`${isolated.url}/media/${bad}`);
      expect(early.status).not.toBe(200);
      await early.arrayBuffer();

      const check = await isolatedApi('POST', '/operator/media/integrity/check', { token: operator.token });
      expect(check.status).toBeLessThan(300);
      expect(check.body.failed).toEqual([{ cid: bad, outcome: 'corrupt' }]);
      const failures = await isolatedApi('GET', '/operator/media/integrity', { token: operator.token });
      expect(failures.body).toEqual([expect.objectContaining({ cid: bad, integrity: 'corrupt' })]);
      expect(
        (await isolatedApi('POST', '/operator/media/integrity/check', { token: uploader.token })).status,
      ).toBe(403);

      const served = await isolatedApi('GET', `/media/${bad}`);
      expect(served.status).toBe(409);
      expect(served.body.type).toMatch(/content-unavailable$/);
      expect((await isolatedApi('GET', `/media/${good}`)).status).toBe(200);
      // Corrupt media cannot be minted either.
      const collectionId = (await createCollection(isolatedApi, uploader)).id;
      const minted = await isolatedApi('POST', `/collections/${collectionId}/mint`, {
        token: uploader.token,
        body: { idempotencyKey: `mint-${randomUUID()}`, items: [{ metadata: metadata(bad) }] },
      });
      expect(minted.status).toBe(422);
    } finally {
      await isolated.close();
      await scratch.drop();
    }
  });
});
