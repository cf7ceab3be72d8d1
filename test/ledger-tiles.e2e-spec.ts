import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TILE_WIDTH,
  bytesEqual,
  consistencyProof,
  decodeEntryBundle,
  fromBase64,
  inclusionProof,
  leafHash,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  rangeHash,
  rootOf,
  tileHashes,
  tileNodeLookup,
  tilePath,
  tileWidthInTree,
  toHex,
  treeEntryBundles,
  treeTiles,
  type TileId,
} from '../libs/ledger/src/core/index.js';
import { CheckpointService, ProofService, Sequencer } from '../libs/ledger/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { operatorKeys, TEST_ORIGIN } from './support/keys.js';

const PREFIX = '/ledger/tlog/';

/** What a mirror or auditor knows: the log's public key and its tile URLs, nothing else. */
class TileClient {
  readonly fetched = new Map<string, Uint8Array>();

  constructor(private readonly baseUrl: string) {}

  async get(path: string): Promise<Response> {
    return fetch(`${this.baseUrl}${PREFIX}${path}`);
  }

  /** The checkpoint, its operator signature verified. */
  async checkpoint() {
    const response = await this.get('checkpoint');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const opened = openNote(await response.text(), [parseVerifierKey(operatorKeys.verifierKey)]);
    return parseCheckpoint(opened.text);
  }

  async tile(tile: TileId): Promise<Uint8Array> {
    const response = await this.get(tilePath(tile));
    expect(response.status, tilePath(tile)).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = new Uint8Array(await response.arrayBuffer());
    this.fetched.set(tilePath(tile), bytes);
    return bytes;
  }

  /**
   * Fetches every tile and entry bundle of the checkpoint's tree and checks them against it: the
   * root recomputed from the tiles, each full tile against its hash in the tile above, each bundle
   * entry against its level-0 hash. Returns a NodeLookup over the tiles for proofs.
   */
  async verifyTree(size: number, rootHash: Uint8Array) {
    const tiles = treeTiles(size);
    await Promise.all([...tiles, ...treeEntryBundles(size)].map((tile) => this.tile(tile)));
    const lookup = tileNodeLookup(size, (tile) => this.fetched.get(tilePath(tile)));
    expect(toHex(rangeHash(0, size, lookup))).toBe(toHex(rootHash));
    for (const tile of tiles.filter((t) => t.width === TILE_WIDTH)) {
      const level = (tile.level as number) + 1;
      const index = Math.floor(tile.index / TILE_WIDTH);
      const parent = this.fetched.get(
        tilePath({ level, index, width: tileWidthInTree(level, index, size) }),
      )!;
      const expected = tileHashes(parent)[tile.index % TILE_WIDTH]!;
      expect(toHex(rootOf(tileHashes(this.fetched.get(tilePath(tile))!)))).toBe(toHex(expected));
    }
    let entries = 0;
    for (const bundle of treeEntryBundles(size)) {
      const leaves = tileHashes(this.fetched.get(tilePath({ ...bundle, level: 0 }))!);
      const decoded = decodeEntryBundle(this.fetched.get(tilePath(bundle))!);
      expect(decoded).toHaveLength(bundle.width);
      decoded.forEach((entry, i) => expect(bytesEqual(leafHash(entry), leaves[i]!)).toBe(true));
      entries += decoded.length;
    }
    expect(entries).toBe(size);
    return lookup;
  }
}

/** p50 and p99 of `runs` sequential fetches, in milliseconds. */
async function latency(url: string, runs: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    Number(times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2));
  return { p50: at(0.5), p99: at(0.99) };
}

describe('ledger tiles (e2e): the log as C2SP tlog-tiles, verified from the tiles alone', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let collectionId: string;
  let tiles: TileClient;
  let firstSize: number;
  let minted = 0;
  const mint = async (editions: number) => {
    await mintEditions(api, creator, collectionId, editions);
    minted += editions;
  };
  /** Integrates every minted entry (waiting out other tests' transactions on the server). */
  const integrate = async () => {
    const sequencer = testApp.app.get(Sequencer);
    const proofs = testApp.app.get(ProofService);
    for (let waited = 0; (await proofs.treeState()).size < minted; waited += 50) {
      if (waited > 30_000) throw new Error('the minted entries were not integrated within 30 s');
      if ((await sequencer.drain()) === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** Integrates every minted entry and signs a checkpoint of them. */
  const settle = async () => {
    await integrate();
    return (await testApp.app.get(CheckpointService).checkpointIfGrown())!;
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // No witness quorum: each checkpoint is final when signed, so the test decides when tiles grow.
    testApp = await startTestApp(
      { LEDGER_WITNESS_QUORUM: '0', CHECKPOINT_INTERVAL_MS: '100000', LEDGER_SEQUENCE_INTERVAL_MS: '60000' },
      scratch.url,
    );
    api = client(testApp.url);
    tiles = new TileClient(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    collectionId = (await createCollection(api, creator)).id;
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch?.drop();
  });

  it('serves nothing before the first checkpoint', async () => {
    const response = await tiles.get('checkpoint');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await tiles.get('tile/0/000.p/1')).status).toBe(404);
  });

  it('rebuilds the checkpoint root from tiles, each bundle entry hashing to its level-0 hash', async () => {
    await mint(300);
    const signed = await settle();
    const checkpoint = await tiles.checkpoint();
    expect(checkpoint).toMatchObject({ origin: TEST_ORIGIN, size: signed.size });
    firstSize = checkpoint.size;
    expect(firstSize).toBeGreaterThan(TILE_WIDTH); // a full level-0 tile, a partial one and level 1
    const lookup = await tiles.verifyTree(checkpoint.size, checkpoint.rootHash);
    expect([...tiles.fetched.keys()]).toEqual(
      expect.arrayContaining(['tile/0/000', `tile/0/001.p/${firstSize - 256}`, 'tile/1/000.p/1']),
    );

    // Inclusion proofs from tiles are the API's proofs.
    for (const index of [0, 1, 255, 256, firstSize - 1]) {
      const served = await api('GET', `/ledger/proof/inclusion?index=${index}&size=${firstSize}`);
      expect(served.status).toBe(200);
      expect(inclusionProof(index, firstSize, lookup).map(toHex)).toEqual(
        served.body.proof.map((hash: string) => toHex(fromBase64(hash))),
      );
    }
  });

  it('grows: a level-1 tile of two hashes, older partial tiles still served, consistency from tiles', async () => {
    await mint(300);
    const { size } = await settle();
    const checkpoint = await tiles.checkpoint();
    expect(checkpoint.size).toBe(size);
    expect(size).toBeGreaterThanOrEqual(2 * TILE_WIDTH);
    const lookup = await tiles.verifyTree(size, checkpoint.rootHash);
    expect(tiles.fetched.get('tile/1/000.p/2')).toHaveLength(64);
    // The first checkpoint's partial tile is the prefix of the full one now served.
    const older = await tiles.tile({ level: 0, index: 1, width: firstSize - 256 });
    expect(toHex(older)).toBe(toHex(tiles.fetched.get('tile/0/001')!.subarray(0, older.length)));
    const served = await api('GET', `/ledger/proof/consistency?from=${firstSize}&to=${size}`);
    expect(consistencyProof(firstSize, size, lookup).map(toHex)).toEqual(
      served.body.proof.map((hash: string) => toHex(fromBase64(hash))),
    );
    for (const index of [3, firstSize, size - 1]) {
      const proof = await api('GET', `/ledger/proof/inclusion?index=${index}&size=${size}`);
      expect(inclusionProof(index, size, lookup).map(toHex)).toEqual(
        proof.body.proof.map((hash: string) => toHex(fromBase64(hash))),
      );
    }
  });

  it('caches full tiles forever and partial tiles and the checkpoint briefly', async () => {
    const full = await tiles.get('tile/0/000');
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await tiles.get('tile/entries/000')).headers.get('cache-control')).toBe(
      'public, max-age=31536000, immutable',
    );
    expect((await tiles.get('tile/1/000.p/1')).headers.get('cache-control')).toBe('public, max-age=60');
    expect((await tiles.get('checkpoint')).headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 404 problems for tiles beyond the checkpoint and malformed paths', async () => {
    const { size } = await tiles.checkpoint();
    const edge = size % TILE_WIDTH;
    const last = Math.floor(size / TILE_WIDTH);
    // Written and integrated, but not yet in a checkpoint: not served either.
    await mint(1);
    await integrate();
    const beyond = [
      `tile/0/00${last}.p/${edge + 1}`,
      `tile/entries/00${last}.p/${edge + 1}`,
      `tile/0/00${last}`,
      `tile/entries/00${last + 1}.p/1`,
      'tile/1/000', // a full level-1 tile needs 65,536 entries
      'tile/1/000.p/3',
      'tile/2/000.p/1',
      'tile/63/x009/x007/x199/x254/x740/991',
    ];
    const malformed = [
      'tile/0/0',
      'tile/0/x000/000',
      'tile/0/000.p/0',
      'tile/0/000.p/256',
      'tile/64/000',
      'tile/0/000/extra',
      'tile/0/%2e%2e%2fcheckpoint',
      'tile/0/000%2F001',
      'tile/entries/x1/000',
      'tile/data/000',
    ];
    for (const path of [...beyond, ...malformed]) {
      const response = await tiles.get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
    }
  });

  it('serves full tiles from the data folder afterwards, without reading the database', async () => {
    const before = new Uint8Array(await (await tiles.get('tile/0/000')).arrayBuffer());
    const bundle = new Uint8Array(await (await tiles.get('tile/entries/000')).arrayBuffer());
    const [logFolder] = readdirSync(join(testApp.config.dataDir, 'tlog-tiles'));
    const kept = join(testApp.config.dataDir, 'tlog-tiles', logFolder!, 'tile');
    expect(existsSync(join(kept, '0', '000'))).toBe(true);
    expect(existsSync(join(kept, 'entries', '000'))).toBe(true);
    expect(existsSync(join(kept, '1'))).toBe(false); // partial tiles are not kept

    // Several API processes on one data folder: each keeps a tile whole (written, then renamed).
    const second = await startTestApp({ HEIRLOOM_DATA_DIR: testApp.config.dataDir }, scratch.url, {
      jobs: false,
    });
    try {
      const both = [testApp.url, second.url].flatMap((url) =>
        Array.from({ length: 10 }, () => fetch(`${url}${PREFIX}tile/0/001`).then((r) => r.arrayBuffer())),
      );
      const answers = (await Promise.all(both)).map((bytes) => toHex(new Uint8Array(bytes)));
      expect(new Set(answers).size).toBe(1);
      expect(readdirSync(join(kept, '0')).sort()).toEqual(['000', '001']);
    } finally {
      await second.close();
    }

    // With the stored level-0 strips overwritten, kept tiles still answer what was checkpointed;
    // a tile read from the database (a partial one) now answers the overwritten bytes.
    await sql(
      scratch.url,
      `UPDATE ledger_strips SET hashes = decode(repeat('00', length(hashes)), 'hex') WHERE level = 0 AND idx < 4`,
    );
    expect(toHex(new Uint8Array(await (await tiles.get('tile/0/000')).arrayBuffer()))).toBe(toHex(before));
    expect(toHex(new Uint8Array(await (await tiles.get('tile/entries/000')).arrayBuffer()))).toBe(
      toHex(bundle),
    );
    const partial = new Uint8Array(await (await tiles.get(`tile/0/000.p/1`)).arrayBuffer());
    expect(toHex(partial)).toBe('00'.repeat(32));
  });

  it('bench: full tile fetch latency (kept in the data folder) and a partial one (database)', async () => {
    const full = await latency(`${testApp.url}${PREFIX}tile/0/001`, 500);
    const partial = await latency(`${testApp.url}${PREFIX}tile/1/000.p/2`, 500);
    console.log(
      `tiles bench: full tile p50 ${full.p50} ms p99 ${full.p99} ms; partial p50 ${partial.p50} ms p99 ${partial.p99} ms`,
    );
    expect(full.p99).toBeLessThan(100);
  });
});
