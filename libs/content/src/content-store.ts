import type { ByteSource } from './byte-channel.js';

/** Nest injection token for the configured ContentStore. */
export const CONTENT_STORE = Symbol('CONTENT_STORE');

/** Options of one upload. */
export interface PutOptions {
  /** Reject (and store nothing) once the stream goes past this many bytes. */
  maxBytes?: number;
}

/** What a successful put stored: the content's CID and its length in bytes. */
export interface StoredContent {
  cid: string;
  size: number;
}

/** Content being served: its length (for Content-Length) and its verified bytes. */
export interface ContentStream {
  size: number;
  /**
   * Errors with ContentCorruptedError before the last chunk when the bytes do not hash to the CID.
   * An HTTP layer must send Content-Length and destroy the connection on error, so that a client
   * can always tell a cut-off body from a complete one.
   */
  body: AsyncIterable<Uint8Array>;
}

/** Result of re-hashing stored content against its CID. */
export type VerifyOutcome = 'ok' | 'missing' | 'corrupt';

/**
 * Content-addressed storage. CIDs are those of `ipfs add --cid-version=1 --raw-leaves
 * --chunker=size-262144` (see KUBO_ADD_OPTIONS), so the same bytes have the same CID in every
 * adapter and on any IPFS node. Content whose bytes no longer match its CID is never served.
 */
export interface ContentStore {
  /**
   * Stores a stream and returns its CID once the bytes are durable. Chunks must not be reused
   * by the source after being yielded (Node streams never do).
   */
  put(source: ByteSource, options?: PutOptions): Promise<StoredContent>;
  /** Whole content after verifying it; null when absent. Meant for small items such as metadata. */
  get(cid: string): Promise<Uint8Array | null>;
  /** Streams content through verification; null when absent. Meant for media. */
  stream(cid: string): Promise<ContentStream | null>;
  /** Whether content is stored (without re-hashing it). */
  has(cid: string): Promise<boolean>;
  /** Re-hashes stored content and compares it with its CID. */
  verify(cid: string): Promise<VerifyOutcome>;
}
