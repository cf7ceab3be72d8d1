import { DomainError } from '#http';
import { create, type AddOptions, type KuboRPCClient } from 'kubo-rpc-client';
import { ByteChannel, chunksOf, collectBytes, settleLater, type ByteSource } from './byte-channel.js';
import { computeCid, KUBO_ADD_OPTIONS, parseContentCid, StreamingCid, verifyingStream } from './cid.js';
import { CidMismatchError, ContentStoreUnavailableError, ContentTooLargeError } from './content.exception.js';
import type {
  ContentStore,
  ContentStream,
  PutOptions,
  StoredContent,
  VerifyOutcome,
} from './content-store.js';

/** Where the Kubo RPC API is and how long one request may take. */
export interface KuboContentStoreOptions {
  /** Kubo RPC API base, e.g. `http://127.0.0.1:5001` (IPFS_API_URL). */
  url: string;
  /** Time limit of each request in milliseconds, uploads included; default 60 s. */
  timeoutMs?: number;
}

/** The `ipfs add` flags of KUBO_ADD_OPTIONS as RPC options; pinning keeps the content on the node. */
const ADD_OPTIONS: AddOptions = {
  cidVersion: KUBO_ADD_OPTIONS.cidVersion,
  rawLeaves: KUBO_ADD_OPTIONS.rawLeaves,
  chunker: KUBO_ADD_OPTIONS.chunker,
  hashAlg: KUBO_ADD_OPTIONS.hashAlg,
  trickle: false,
  wrapWithDirectory: false,
  pin: true,
};

/**
 * ContentStore on a Kubo node (used when IPFS_API_URL is set). Every upload is hashed locally
 * while it streams to Kubo, and Kubo's CID must equal ours, so CIDs never depend on the node's
 * configuration. Reads only touch pinned (hence local) content and are verified like the
 * local store's. A node that cannot be reached gives ContentStoreUnavailableError, within
 * `timeoutMs` at most.
 */
export class KuboContentStore implements ContentStore {
  private readonly client: KuboRPCClient;
  private readonly timeoutMs: number;

  constructor(private readonly options: KuboContentStoreOptions) {
    this.client = create({ url: options.url });
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async put(source: ByteSource, options: PutOptions = {}): Promise<StoredContent> {
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    const upload = new ByteChannel();
    const hasher = new StreamingCid();
    const cancel = new AbortController();
    // The client's own `timeout` option is not applied to requests, hence an explicit signal.
    const signal = AbortSignal.any([cancel.signal, AbortSignal.timeout(this.timeoutMs)]);
    const added = settleLater(this.client.add({ content: upload }, { ...ADD_OPTIONS, signal }));
    // When Kubo fails mid-upload, stop waiting for it to take the next chunk.
    added.catch((error: unknown) => upload.fail(error));
    let size = 0;
    try {
      for await (const chunk of chunksOf(source)) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new ContentTooLargeError(maxBytes);
        await Promise.all([upload.push(chunk), hasher.push(chunk)]);
      }
      upload.end();
      const [result, cid] = await Promise.all([added, hasher.finish()]);
      const nodeCid = result.cid.toString();
      if (nodeCid !== cid) {
        await this.unpinQuietly(nodeCid);
        throw new CidMismatchError(cid, nodeCid);
      }
      return { cid, size };
    } catch (error) {
      cancel.abort(error);
      upload.fail(error);
      hasher.abort(error);
      throw this.unavailableUnlessDomain(error);
    }
  }

  async get(cid: string): Promise<Uint8Array | null> {
    const content = await this.stream(cid);
    return content === null ? null : collectBytes(content.body);
  }

  async stream(cid: string): Promise<ContentStream | null> {
    if (!(await this.has(cid))) return null;
    const stat = await this.request((signal) => this.client.files.stat(`/ipfs/${cid}`, { signal }));
    return { size: Number(stat.size), body: verifyingStream(cid, this.cat(cid)) };
  }

  async has(cid: string): Promise<boolean> {
    parseContentCid(cid);
    try {
      const signal = AbortSignal.timeout(this.timeoutMs);
      for await (const pin of this.client.pin.ls({ paths: cid, type: 'recursive', signal })) {
        if (pin.cid.toString() === cid) return true;
      }
      return false;
    } catch (error) {
      if (isNotPinned(error)) return false;
      throw this.unavailableUnlessDomain(error);
    }
  }

  /** Checks the pin with `pin ls`, then re-hashes the bytes the node serves. */
  async verify(cid: string): Promise<VerifyOutcome> {
    if (!(await this.has(cid))) return 'missing';
    const actual = await computeCid(this.cat(cid));
    return actual === cid ? 'ok' : 'corrupt';
  }

  private async *cat(cid: string): AsyncGenerator<Uint8Array> {
    try {
      yield* this.client.cat(cid, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw this.unavailableUnlessDomain(error);
    }
  }

  private async request<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await call(AbortSignal.timeout(this.timeoutMs));
    } catch (error) {
      throw this.unavailableUnlessDomain(error);
    }
  }

  private async unpinQuietly(cid: string): Promise<void> {
    await this.client.pin.rm(cid, { signal: AbortSignal.timeout(this.timeoutMs) }).catch(() => undefined);
  }

  // Our own errors pass through; anything from the client or the network means the node failed us.
  private unavailableUnlessDomain(error: unknown): unknown {
    if (error instanceof DomainError) return error;
    return new ContentStoreUnavailableError(this.options.url, error);
  }
}

/** Kubo answers `pin ls <cid>` for an unpinned CID with an error saying "… is not pinned". */
function isNotPinned(error: unknown): boolean {
  return error instanceof Error && error.name === 'HTTPError' && /not pinned/i.test(error.message);
}
