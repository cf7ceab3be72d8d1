import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { collectBytes } from './byte-channel.js';
import { computeCid } from './cid.js';
import {
  CidMismatchError,
  ContentCorruptedError,
  ContentStoreUnavailableError,
  ContentTooLargeError,
} from './content.exception.js';
import { KuboContentStore } from './kubo-content-store.js';

const EMPTY_CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
const utf8 = (text: string) => new TextEncoder().encode(text);
// Deep-equality of big byte arrays is slow in the test runner; compare digests instead.
const fingerprint = (bytes: Uint8Array | null) =>
  bytes === null ? null : createHash('sha256').update(bytes).digest('hex');

/** Just enough of Kubo's RPC API (add, pin ls/rm, cat, files stat) to exercise the adapter. */
class FakeKubo {
  readonly blocks = new Map<string, Uint8Array>();
  readonly pinned = new Set<string>();
  readonly addQueries: URLSearchParams[] = [];
  readonly unpinned: string[] = [];
  /** When set, `add` answers with this CID instead of the right one (a misconfigured node). */
  wrongCid: string | undefined;
  addFailure: string | undefined;
  private readonly server = createHttpServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubo');
    const body = await collectBytes(req);
    const arg = url.searchParams.get('arg') ?? '';
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value) + '\n');
    };
    switch (url.pathname) {
      case '/api/v0/add': {
        this.addQueries.push(url.searchParams);
        if (this.addFailure !== undefined)
          return json(500, { Message: this.addFailure, Code: 0, Type: 'error' });
        const file = multipartFile(body, req.headers['content-type'] ?? '');
        const cid = this.wrongCid ?? (await computeCid(file));
        this.blocks.set(cid, file);
        this.pinned.add(cid);
        return json(200, { Name: cid, Hash: cid, Size: String(file.length) });
      }
      case '/api/v0/pin/ls':
        if (!this.pinned.has(arg))
          return json(500, { Message: `path '${arg}' is not pinned`, Code: 0, Type: 'error' });
        return json(200, { Cid: arg, Type: 'recursive' });
      case '/api/v0/pin/rm':
        this.unpinned.push(arg);
        this.pinned.delete(arg);
        return json(200, { Pins: [arg] });
      case '/api/v0/files/stat': {
        const cid = arg.replace('/ipfs/', '');
        return json(200, { Hash: cid, Size: this.blocks.get(cid)?.length ?? 0, Type: 'file' });
      }
      case '/api/v0/cat':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end(this.blocks.get(arg));
      default:
        return json(404, { Message: `no fake for ${url.pathname}`, Code: 0, Type: 'error' });
    }
  }
}

/** The single file part of kubo-rpc-client's multipart upload. */
function multipartFile(body: Uint8Array, contentType: string): Uint8Array {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1] ?? '';
  const text = Buffer.from(body);
  const start = text.indexOf('\r\n\r\n') + 4;
  const end = text.lastIndexOf(`\r\n--${boundary}`);
  return new Uint8Array(text.subarray(start, end));
}

/** A TCP server that accepts connections and never answers. */
async function blackhole(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createTcpServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    sockets.forEach((socket) => socket.destroy());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, close };
}

/** A local port that nothing listens on (connections are refused). */
async function closedPortUrl(): Promise<string> {
  const { url, close } = await blackhole();
  await close();
  return url;
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

describe('KuboContentStore against a fake Kubo RPC API', () => {
  let kubo: FakeKubo;
  afterEach(() => kubo?.stop());

  async function start(): Promise<KuboContentStore> {
    kubo = new FakeKubo();
    return new KuboContentStore({ url: await kubo.start(), timeoutMs: 5000 });
  }

  it('adds with the Kubo options that reproduce our CIDs, pins, and reads back verified', async () => {
    const store = await start();
    const bytes = new Uint8Array(randomBytes(600 * 1024));
    const stored = await store.put(pieces(bytes, 50_000));

    expect(stored).toEqual({ cid: await computeCid(bytes), size: bytes.length });
    const query = Object.fromEntries(kubo.addQueries[0]);
    expect(query).toMatchObject({
      'cid-version': '1',
      'raw-leaves': 'true',
      chunker: 'size-262144',
      hash: 'sha2-256',
      pin: 'true',
      trickle: 'false',
    });
    expect(await store.has(stored.cid)).toBe(true);
    expect(fingerprint(await store.get(stored.cid))).toBe(fingerprint(bytes));
    const content = await store.stream(stored.cid);
    expect(content?.size).toBe(bytes.length);
    expect(fingerprint(await collectBytes(content!.body))).toBe(fingerprint(bytes));
    expect(await store.verify(stored.cid)).toBe('ok');
  });

  it('rejects and unpins when the node computes a different CID', async () => {
    const store = await start();
    kubo.wrongCid = EMPTY_CID;
    const error = await store.put(utf8('hello world')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CidMismatchError);
    expect(error).toMatchObject({
      expectedCid: 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e',
      nodeCid: EMPTY_CID,
    });
    expect(kubo.unpinned).toEqual([EMPTY_CID]);
  });

  it('never serves bytes the node returns corrupted', async () => {
    const store = await start();
    const { cid } = await store.put(utf8('hello world'));
    kubo.blocks.set(cid, utf8('hello wOrld'));
    await expect(store.get(cid)).rejects.toBeInstanceOf(ContentCorruptedError);
    expect(await store.verify(cid)).toBe('corrupt');
  });

  it('treats unpinned content as missing', async () => {
    const store = await start();
    expect(await store.has(EMPTY_CID)).toBe(false);
    expect(await store.get(EMPTY_CID)).toBeNull();
    expect(await store.stream(EMPTY_CID)).toBeNull();
    expect(await store.verify(EMPTY_CID)).toBe('missing');
  });

  it('enforces maxBytes itself', async () => {
    const store = await start();
    const bytes = new Uint8Array(randomBytes(100 * 1024));
    await expect(store.put(pieces(bytes, 10_000), { maxBytes: 50_000 })).rejects.toBeInstanceOf(
      ContentTooLargeError,
    );
  });

  it('reports a node-side failure as unavailable, keeping the cause', async () => {
    const store = await start();
    kubo.addFailure = 'repo full';
    const error = await store.put(utf8('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentStoreUnavailableError);
    expect(String((error as Error).cause)).toContain('repo full');
  });
});

describe('KuboContentStore when the node cannot be reached', () => {
  it('fails fast with ContentStoreUnavailableError when the connection is refused', async () => {
    const store = new KuboContentStore({ url: await closedPortUrl(), timeoutMs: 2000 });
    const started = Date.now();
    await expect(store.put(utf8('hello'))).rejects.toBeInstanceOf(ContentStoreUnavailableError);
    await expect(store.put(pieces(new Uint8Array(1 << 20), 4096))).rejects.toBeInstanceOf(
      ContentStoreUnavailableError,
    );
    await expect(store.has(EMPTY_CID)).rejects.toBeInstanceOf(ContentStoreUnavailableError);
    await expect(store.get(EMPTY_CID)).rejects.toBeInstanceOf(ContentStoreUnavailableError);
    await expect(store.verify(EMPTY_CID)).rejects.toBeInstanceOf(ContentStoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up after timeoutMs when the node accepts but never answers', async () => {
    const { url, close } = await blackhole();
    try {
      const store = new KuboContentStore({ url, timeoutMs: 300 });
      const started = Date.now();
      const error = await store.put(pieces(new Uint8Array(1 << 20), 4096)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContentStoreUnavailableError);
      expect((error as ContentStoreUnavailableError).status).toBe(503);
      await expect(store.has(EMPTY_CID)).rejects.toBeInstanceOf(ContentStoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await close();
    }
  });
});

describe.skipIf(process.env.HEIRLOOM_TEST_KUBO_URL === undefined)(
  'KuboContentStore on a real Kubo node',
  () => {
    // Opt-in: HEIRLOOM_TEST_KUBO_URL=http://127.0.0.1:5001 npx vitest run libs/content
    it('gets the same CID from Kubo as computed locally for a multi-level file', async () => {
      const store = new KuboContentStore({ url: process.env.HEIRLOOM_TEST_KUBO_URL!, timeoutMs: 120_000 });
      const bytes = new Uint8Array(randomBytes(175 * 262_144 + 5));
      const stored = await store.put(pieces(bytes, 1 << 20));
      expect(stored.cid).toBe(await computeCid(bytes));
      expect(await store.verify(stored.cid)).toBe('ok');
    });
  },
);
