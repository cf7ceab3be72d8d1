import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../libs/database/src/index.js';
import { hashToken } from '../libs/identity/src/tokens.js';
import { schema } from '../apps/api/src/schema.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { createCollection, createUser, uploadImage, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { uniquePng } from './support/media.js';

const metadata = (image: string, extra: Record<string, unknown> = {}) => ({
  name: 'Heron',
  description: 'A grey heron',
  image: `ipfs://${image}`,
  attributes: [],
  ...extra,
});

/** Asserts the headers that keep served media (and the route's problems) inert in a browser. */
function expectInertHeaders(headers: Headers) {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toMatch(/(^|;\s*)sandbox(;|$)/);
  expect(csp).not.toMatch(/script-src|allow-scripts|unsafe-eval/);
  expect(headers.get('cross-origin-resource-policy')).toBe('cross-origin');
}

describe('media hardening (e2e, issue 9 item 9): inert serving, minting only with your own media', () => {
  let testApp: TestApp;
  let api: Client;
  let alice: TestUser;
  let bob: TestUser;
  let aliceCollection: { id: string };
  let bobCollection: { id: string };
  let aliceBytes: Buffer;
  let aliceCid: string;

  const mint = (user: TestUser, collectionId: string, items: unknown[]) =>
    api('POST', `/collections/${collectionId}/mint`, {
      token: user.token,
      body: { idempotencyKey: `mint-${randomUUID()}`, items },
    });
  const upload = (user: TestUser, bytes: Buffer | string, contentType: string) =>
    api('POST', '/media', { token: user.token, rawBody: bytes, headers: { 'content-type': contentType } });
  const countOf = async (text: string, params: unknown[]) =>
    Number((await sql(testApp.databaseUrl, text, params))[0].count);
  /** What a mint by `user` could have written: tokens, mint requests and stored files. */
  const writesBy = async (user: TestUser) => ({
    tokens: await countOf(`SELECT count(*) FROM tokens WHERE creator_id = $1`, [user.id]),
    mintRequests: await countOf(`SELECT count(*) FROM mint_requests WHERE creator_id = $1`, [user.id]),
    files: readdirSync(join(testApp.config.dataDir, 'content'), { recursive: true }).length,
  });

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    [alice, bob] = [await createUser(testApp, api, ['creator']), await createUser(testApp, api, ['creator'])];
    [aliceCollection, bobCollection] = [await createCollection(api, alice), await createCollection(api, bob)];
    aliceBytes = uniquePng();
    const uploaded = await upload(alice, aliceBytes, 'image/png');
    expect(uploaded.status).toBe(201);
    aliceCid = uploaded.body.cid;
  });
  afterAll(async () => {
    await testApp?.close();
  });

  describe('GET /media/:cid', () => {
    it('serves media with nosniff, a sandboxing CSP, inline disposition and CORP', async () => {
      const served = await fetch(`${testApp.url}/media/${aliceCid}`);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(served.headers.get('content-disposition')).toBe('inline');
      expectInertHeaders(served.headers);
      expect(Buffer.from(await served.arrayBuffer()).equals(aliceBytes)).toBe(true);
    });

    it('sends the same headers on its problem responses', async () => {
      const badCid = await api('GET', '/media/not-a-cid');
      expect(badCid.status).toBe(400);
      expect(badCid.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expectInertHeaders(badCid.headers);
      const unknown = await api('GET', '/media/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy');
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expectInertHeaders(unknown.headers);
    });

    it('refuses SVG and HTML uploads, and serves a PNG carrying HTML only as image/png', async () => {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>`;
      const html = `<!doctype html><html><body><script>alert(document.domain)</script></body></html>`;
      for (const [bytes, type] of [
        [svg, 'image/svg+xml'],
        [html, 'text/html'],
        [html, 'image/png'],
        [svg, 'application/octet-stream'],
      ]) {
        const response = await upload(alice, bytes, type);
        expect(response.status, type).toBeGreaterThanOrEqual(400);
        expect(response.status, type).toBeLessThan(500);
        expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      }
      expect((await upload(alice, svg, 'image/svg+xml')).body.type).toMatch(/unsupported-media-type$/);

      const polyglot = Buffer.concat([uniquePng(), Buffer.from(html)]);
      const stored = await upload(alice, polyglot, 'image/png');
      expect(stored.status).toBe(201);
      const served = await fetch(`${testApp.url}/media/${stored.body.cid}`);
      expect(served.headers.get('content-type')).toBe('image/png');
      expectInertHeaders(served.headers);
      await served.arrayBuffer();
    });
  });

  describe('POST /collections/:id/mint', () => {
    it("refuses creator B minting with creator A's upload (403 media-not-yours) and writes nothing", async () => {
      const before = await writesBy(bob);
      const response = await mint(bob, bobCollection.id, [{ metadata: metadata(aliceCid) }]);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(response.body.type).toBe('https://heirloom.dev/problems/media-not-yours');
      expect(response.body.errors).toEqual([{ item: 0, field: 'image', cid: aliceCid }]);
      expect(await writesBy(bob)).toEqual(before);
    });

    it("refuses A's upload as animation_url too, and a batch with one such item mints nothing", async () => {
      const bobImage = await uploadImage(api, bob);
      const before = await writesBy(bob);
      const response = await mint(bob, bobCollection.id, [
        { editions: 5, metadata: metadata(bobImage) },
        { metadata: metadata(bobImage, { animation_url: `ipfs://${aliceCid}` }) },
      ]);
      expect(response.status).toBe(403);
      expect(response.body.type).toMatch(/media-not-yours$/);
      expect(response.body.errors).toEqual([{ item: 1, field: 'animation_url', cid: aliceCid }]);
      expect(await writesBy(bob)).toEqual(before);
    });

    it('refuses an operator who is also a creator just the same (no operator exception)', async () => {
      const operator = await createUser(testApp, api, ['creator', 'operator']);
      const collection = await createCollection(api, operator);
      const response = await mint(operator, collection.id, [{ metadata: metadata(aliceCid) }]);
      expect(response.status).toBe(403);
      expect(response.body.type).toMatch(/media-not-yours$/);
      expect(await writesBy(operator)).toMatchObject({ tokens: 0, mintRequests: 0 });
    });

    it('lets B mint once B has uploaded the same bytes themselves', async () => {
      const reupload = await upload(bob, aliceBytes, 'image/png');
      expect(reupload.status).toBe(201);
      expect(reupload.body.cid).toBe(aliceCid);
      // The media row keeps its first uploader; each uploader is recorded beside it.
      const [media] = await sql(testApp.databaseUrl, `SELECT uploaded_by FROM media WHERE cid = $1`, [
        aliceCid,
      ]);
      expect(media.uploaded_by).toBe(alice.id);
      const uploaders = await sql(
        testApp.databaseUrl,
        `SELECT account_id FROM media_uploads WHERE cid = $1 ORDER BY uploaded_at`,
        [aliceCid],
      );
      expect(uploaders.map((row) => row.account_id)).toEqual([alice.id, bob.id]);

      const response = await mint(bob, bobCollection.id, [
        { editions: 2, metadata: metadata(aliceCid, { animation_url: `ipfs://${aliceCid}` }) },
      ]);
      expect(response.status).toBe(201);
      expect(response.body.tokenIds).toHaveLength(2);
    });

    it('lets A mint with their own media', async () => {
      const response = await mint(alice, aliceCollection.id, [{ metadata: metadata(aliceCid) }]);
      expect(response.status).toBe(201);
      const [token] = await sql(
        testApp.databaseUrl,
        `SELECT creator_id, image_cid FROM tokens WHERE id = $1`,
        [response.body.tokenIds[0]],
      );
      expect(token).toEqual({ creator_id: alice.id, image_cid: aliceCid });
    });

    it('still answers 422 unknown-media for a CID never uploaded', async () => {
      const response = await mint(alice, aliceCollection.id, [
        { metadata: metadata('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy') },
      ]);
      expect(response.status).toBe(422);
      expect(response.body.type).toMatch(/unknown-media$/);
    });
  });
});

/**
 * RecordMediaUploaders on data the previous schema wrote: media kept only its first uploader, and a
 * creator may already have minted someone else's upload. That image is public in the creator's
 * collection, so they may mint more of it; another of the first uploader's files stays theirs alone.
 */
describe('media uploaders migration (e2e): tokens minted before uploads were recorded per uploader', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let api: Client;
  const [first, minter] = [randomUUID(), randomUUID()];
  const [publicCid, privateCid] = [
    'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
    'bafkreidgvpkjawlxz6sffxzwgooowe5yt7i6wsyg236mfoks77nywkptdq',
  ];
  const minterToken = `hls_${randomUUID()}`;
  let collectionId: string;

  beforeAll(async () => {
    scratch = await createScratchDatabase('RecordMediaUploaders1764001000000');
    for (const id of [first, minter]) {
      await sql(
        scratch.url,
        `INSERT INTO accounts (id, email, handle, password_hash, roles, creator_status)
         VALUES ($1, $2, $3, '$argon2id$legacy', '{collector,creator}', 'approved')`,
        [id, `${id}@example.com`, `legacy_${id.slice(0, 8)}`],
      );
    }
    for (const cid of [publicCid, privateCid]) {
      await sql(
        scratch.url,
        `INSERT INTO media (cid, mime, size, uploaded_by) VALUES ($1, 'image/png', 90, $2)`,
        [cid, first],
      );
    }
    [{ id: collectionId }] = await sql(
      scratch.url,
      `INSERT INTO collections (creator_id, name, royalty_bps, minted) VALUES ($1, 'Legacy', 0, 1) RETURNING id`,
      [minter],
    );
    await sql(
      scratch.url,
      `INSERT INTO tokens (id, collection_id, creator_id, edition_number, edition_total, name, metadata_cid, image_cid, owner_id)
       VALUES ('tok_legacy', $1, $2, 1, 1, 'Legacy', $3, $3, $2)`,
      [collectionId, minter, publicCid],
    );

    await migrate(scratch.url, schema);
    testApp = await startTestApp({}, scratch.url, { jobs: false });
    api = client(testApp.url);
    await sql(
      scratch.url,
      `INSERT INTO sessions (account_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 hour')`,
      [minter, hashToken(minterToken)],
    );
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch.drop();
  });

  it('records the first uploaders and the creators of earlier tokens', async () => {
    const rows = await sql(scratch.url, `SELECT cid, account_id FROM media_uploads ORDER BY cid, account_id`);
    expect(rows).toEqual(
      [
        { cid: publicCid, account_id: first },
        { cid: publicCid, account_id: minter },
        { cid: privateCid, account_id: first },
      ].sort((a, b) => (a.cid + a.account_id < b.cid + b.account_id ? -1 : 1)),
    );
  });

  it('lets that creator mint more of the image public in their collection, but no other upload', async () => {
    const mint = (image: string) =>
      api('POST', `/collections/${collectionId}/mint`, {
        token: minterToken,
        body: { idempotencyKey: `mint-${randomUUID()}`, items: [{ metadata: metadata(image) }] },
      });
    expect((await mint(publicCid)).status).toBe(201);
    const refused = await mint(privateCid);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toMatch(/media-not-yours$/);
  });
});
