import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectBytes } from './byte-channel.js';
import { computeCid } from './cid.js';
import { ContentCorruptedError, ContentTooLargeError, InvalidCidError } from './content.exception.js';
import { LocalContentStore } from './local-content-store.js';

const EMPTY_CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
const utf8 = (text: string) => new TextEncoder().encode(text);
// Deep-equality of big byte arrays is slow in the test runner; compare digests instead.
const fingerprint = (bytes: Uint8Array | null) =>
  bytes === null ? null : createHash('sha256').update(bytes).digest('hex');

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

describe('LocalContentStore', () => {
  let dir: string;
  let store: LocalContentStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'heirloom-content-'));
    // A small in-memory limit so the streaming verification path is exercised with small files.
    store = new LocalContentStore(dir, { verifyInMemoryBytes: 64 * 1024 });
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores bytes under their Kubo CID and reads them back', async () => {
    const stored = await store.put(utf8('hello\n'));
    // `echo hello | ipfs add --cid-version 1` (kubo sharness t0114 README).
    expect(stored).toEqual({ cid: 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am', size: 6 });
    expect(readFileSync(join(dir, '6a', stored.cid), 'utf8')).toBe('hello\n');
    expect(await store.has(stored.cid)).toBe(true);
    expect(await store.get(stored.cid)).toEqual(utf8('hello\n'));
    expect(await store.verify(stored.cid)).toBe('ok');
  });

  it('round-trips a multi-chunk stream and streams it back verified', async () => {
    const bytes = new Uint8Array(randomBytes(700 * 1024 + 13));
    const stored = await store.put(pieces(bytes, 65_536));
    expect(stored).toEqual({ cid: await computeCid(bytes), size: bytes.length });
    expect(stored.cid.startsWith('bafybei')).toBe(true);

    const content = await store.stream(stored.cid);
    expect(content?.size).toBe(bytes.length);
    expect(fingerprint(await collectBytes(content!.body))).toBe(fingerprint(bytes));
    expect(fingerprint(await store.get(stored.cid))).toBe(fingerprint(bytes));
    expect(await store.verify(stored.cid)).toBe('ok');
  });

  it('stores the empty file', async () => {
    expect(await store.put(new Uint8Array())).toEqual({ cid: EMPTY_CID, size: 0 });
    expect(await store.get(EMPTY_CID)).toEqual(new Uint8Array());
  });

  it('is idempotent for the same content, even concurrently', async () => {
    const bytes = new Uint8Array(randomBytes(300 * 1024));
    const results = await Promise.all([store.put(bytes), store.put(pieces(bytes, 4096)), store.put(bytes)]);
    expect(new Set(results.map((r) => r.cid)).size).toBe(1);
    expect(fingerprint(await store.get(results[0].cid))).toBe(fingerprint(bytes));
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
  });

  it('answers missing content with null, false and "missing"', async () => {
    expect(await store.get(EMPTY_CID)).toBeNull();
    expect(await store.stream(EMPTY_CID)).toBeNull();
    expect(await store.has(EMPTY_CID)).toBe(false);
    expect(await store.verify(EMPTY_CID)).toBe('missing');
  });

  it('detects a corrupted small file and never serves it', async () => {
    const { cid } = await store.put(utf8('hello world'));
    writeFileSync(store.pathOf(cid), 'hello wOrld');

    expect(await store.verify(cid)).toBe('corrupt');
    await expect(store.get(cid)).rejects.toBeInstanceOf(ContentCorruptedError);
    // Small content is verified whole before the stream is even handed out.
    await expect(store.stream(cid)).rejects.toBeInstanceOf(ContentCorruptedError);
  });

  it('fails a large corrupted stream before its end', async () => {
    const bytes = new Uint8Array(randomBytes(1024 * 1024));
    const { cid } = await store.put(bytes);
    const corrupted = Buffer.from(bytes);
    corrupted[500_000] ^= 0xff;
    writeFileSync(store.pathOf(cid), corrupted);

    expect(await store.verify(cid)).toBe('corrupt');
    const content = await store.stream(cid);
    let received = 0;
    const read = async () => {
      for await (const chunk of content!.body) received += chunk.byteLength;
    };
    await expect(read()).rejects.toBeInstanceOf(ContentCorruptedError);
    expect(received).toBeLessThan(bytes.length);
  });

  it('heals a corrupted copy when the same content is uploaded again', async () => {
    const { cid } = await store.put(utf8('hello world'));
    writeFileSync(store.pathOf(cid), 'garbage');
    await store.put(utf8('hello world'));
    expect(await store.verify(cid)).toBe('ok');
  });

  it('rejects content over maxBytes and leaves nothing behind', async () => {
    const bytes = new Uint8Array(randomBytes(200 * 1024));
    await expect(store.put(pieces(bytes, 10_000), { maxBytes: 100 * 1024 })).rejects.toBeInstanceOf(
      ContentTooLargeError,
    );
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
    expect(readdirSync(dir)).toEqual(['.tmp']);
  });

  it('cleans up when the upload stream fails midway', async () => {
    async function* failing() {
      yield utf8('partial ');
      throw new Error('client disconnected');
    }
    await expect(store.put(failing())).rejects.toThrow('client disconnected');
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
  });

  it.each(['../../etc/passwd', 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH', 'not-a-cid'])(
    'rejects the CID %s',
    async (cid) => {
      await expect(store.get(cid)).rejects.toBeInstanceOf(InvalidCidError);
      await expect(store.has(cid)).rejects.toBeInstanceOf(InvalidCidError);
      expect(existsSync(join(dir, 'etc'))).toBe(false);
    },
  );
});
