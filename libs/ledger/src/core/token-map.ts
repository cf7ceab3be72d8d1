/**
 * Token-heads map: a sparse Merkle tree over 256-bit keys that maps each token to its latest log
 * entry (the format agreed in notes/map-spec.md). key = SHA-256(token id); a subtree holding one leaf
 * hashes to that leaf, two or more to SHA-256(0x03 ‖ left ‖ right) with EMPTY (32 zero bytes) for an
 * empty child. Pure and browser-safe: the verifier runs it offline.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, toBase64, tryFromBase64, utf8 } from './bytes.js';
import { LedgerCoreError } from './errors.js';
import { HASH_SIZE } from './hasher.js';

export type TokenMapErrorCode = 'invalid-map-line' | 'invalid-map-entry';

/** A token-map input or checkpoint line was malformed. */
export class TokenMapError extends LedgerCoreError<TokenMapErrorCode> {}

/** Hash of an empty subtree at any depth, and the root of the empty map. */
export const TOKEN_MAP_EMPTY: Uint8Array = new Uint8Array(HASH_SIZE);

/** Key bits: one per level, top level first. */
export const TOKEN_MAP_DEPTH = 256;

/** Checkpoint extension line keyword: `heirloom-token-map <base64 root>`. */
export const TOKEN_MAP_LINE_KEYWORD = 'heirloom-token-map';

const LEAF_PREFIX = 0x02;
const NODE_PREFIX = 0x03;

/** One log entry as the map sees it: the token, its log index and its RFC 9162 leaf hash. */
export interface TokenMapEntry {
  readonly tokenId: string;
  readonly index: number;
  readonly leafHash: Uint8Array;
}

/** A token's map proof: its latest entry and the sibling hashes on its path, top-down. */
export interface TokenMapProof {
  readonly index: number;
  readonly leafHash: Uint8Array;
  readonly siblings: Uint8Array[];
}

/** The map key of a token: SHA-256 of the id's UTF-8 bytes. */
export function tokenMapKey(tokenId: string): Uint8Array {
  return sha256(utf8(tokenId));
}

/** Bit i of a key (i = 0 is the top level), most significant bit first. */
export function tokenMapKeyBit(key: Uint8Array, i: number): number {
  return (key[i >> 3]! >> (7 - (i & 7))) & 1;
}

/** Leaf hash: SHA-256(0x02 ‖ key ‖ uint64-be(index) ‖ entry leaf hash). */
export function tokenMapLeaf(key: Uint8Array, index: number, leafHash: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + HASH_SIZE + 8 + HASH_SIZE);
  input[0] = LEAF_PREFIX;
  input.set(key, 1);
  const view = new DataView(input.buffer);
  view.setUint32(1 + HASH_SIZE, Math.floor(index / 2 ** 32));
  view.setUint32(1 + HASH_SIZE + 4, index % 2 ** 32);
  input.set(leafHash, 1 + HASH_SIZE + 8);
  return sha256(input);
}

/** Interior node hash: SHA-256(0x03 ‖ left ‖ right). */
export function tokenMapNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 2 * HASH_SIZE);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + HASH_SIZE);
  return sha256(input);
}

/**
 * True iff the proof shows that (index, leafHash) is the token's entry in the map with this root.
 * Rejects malformed hashes, more than 256 siblings and a non-canonical proof (EMPTY deepest sibling).
 */
export function verifyTokenMapProof(
  root: Uint8Array,
  tokenId: string,
  index: number,
  leafHash: Uint8Array,
  siblings: readonly Uint8Array[],
): boolean {
  if (root.length !== HASH_SIZE || leafHash.length !== HASH_SIZE) return false;
  if (!Number.isSafeInteger(index) || index < 0) return false;
  const depth = siblings.length;
  if (depth > TOKEN_MAP_DEPTH || siblings.some((sibling) => sibling.length !== HASH_SIZE)) return false;
  if (depth > 0 && bytesEqual(siblings[depth - 1]!, TOKEN_MAP_EMPTY)) return false;
  const key = tokenMapKey(tokenId);
  let hash = tokenMapLeaf(key, index, leafHash);
  for (let i = depth - 1; i >= 0; i--) {
    hash = tokenMapKeyBit(key, i) === 0 ? tokenMapNode(hash, siblings[i]!) : tokenMapNode(siblings[i]!, hash);
  }
  return bytesEqual(hash, root);
}

/** A map leaf ready to hash into a tree: key and leaf hash. */
interface KeyedLeaf {
  key: Uint8Array;
  hash: Uint8Array;
}

/**
 * The map's leaves from log entries: each token's entry with the highest index wins (so passing the
 * log's first N entries gives the map at size N). Sorted by key.
 */
function mapLeaves(entries: Iterable<TokenMapEntry>): KeyedLeaf[] {
  const latest = new Map<string, TokenMapEntry>();
  for (const entry of entries) {
    if (!Number.isSafeInteger(entry.index) || entry.index < 0 || entry.leafHash.length !== HASH_SIZE) {
      throw new TokenMapError('invalid-map-entry', `entry ${entry.index} of ${entry.tokenId} is malformed`);
    }
    const seen = latest.get(entry.tokenId);
    if (!seen || seen.index < entry.index) latest.set(entry.tokenId, entry);
  }
  const leaves = [...latest.values()].map((entry) => {
    const key = tokenMapKey(entry.tokenId);
    return { key, hash: tokenMapLeaf(key, entry.index, entry.leafHash) };
  });
  return leaves.sort((a, b) => compareKeys(a.key, b.key));
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < HASH_SIZE; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** First position in sorted leaves[lo, hi) whose key has bit `depth` set. */
function splitAt(leaves: readonly KeyedLeaf[], lo: number, hi: number, depth: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokenMapKeyBit(leaves[mid]!.key, depth) === 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Hash of the subtree at `depth` holding sorted leaves[lo, hi) (all sharing the path above). */
function subtreeHash(leaves: readonly KeyedLeaf[], lo: number, hi: number, depth: number): Uint8Array {
  if (hi === lo) return TOKEN_MAP_EMPTY;
  if (hi - lo === 1) return leaves[lo]!.hash;
  if (depth === TOKEN_MAP_DEPTH) throw new TokenMapError('invalid-map-entry', 'two tokens share a key');
  const mid = splitAt(leaves, lo, hi, depth);
  return tokenMapNode(subtreeHash(leaves, lo, mid, depth + 1), subtreeHash(leaves, mid, hi, depth + 1));
}

/**
 * Root of the map over log entries (reference implementation, for tests and audit): each token's
 * entry with the highest index is its leaf. EMPTY for no entries.
 */
export function buildTokenMapRoot(entries: Iterable<TokenMapEntry>): Uint8Array {
  const leaves = mapLeaves(entries);
  return subtreeHash(leaves, 0, leaves.length, 0);
}

/**
 * The proof for one token over log entries (reference implementation), or undefined when the
 * entries never name the token.
 */
export function buildTokenMapProof(
  entries: Iterable<TokenMapEntry>,
  tokenId: string,
): TokenMapProof | undefined {
  const all = [...entries];
  let latest: TokenMapEntry | undefined;
  for (const entry of all)
    if (entry.tokenId === tokenId && (!latest || latest.index < entry.index)) latest = entry;
  if (!latest) return undefined;
  const leaves = mapLeaves(all);
  const key = tokenMapKey(tokenId);
  const siblings: Uint8Array[] = [];
  let lo = 0;
  let hi = leaves.length;
  for (let depth = 0; hi - lo > 1; depth++) {
    const mid = splitAt(leaves, lo, hi, depth);
    if (tokenMapKeyBit(key, depth) === 0) {
      siblings.push(subtreeHash(leaves, mid, hi, depth + 1));
      hi = mid;
    } else {
      siblings.push(subtreeHash(leaves, lo, mid, depth + 1));
      lo = mid;
    }
  }
  return { index: latest.index, leafHash: latest.leafHash, siblings };
}

/** The checkpoint extension line committing to a map root. */
export function formatTokenMapLine(root: Uint8Array): string {
  if (root.length !== HASH_SIZE) {
    throw new TokenMapError('invalid-map-line', `map root has ${root.length} bytes, want ${HASH_SIZE}`);
  }
  return `${TOKEN_MAP_LINE_KEYWORD} ${toBase64(root)}`;
}

/**
 * The map root from a checkpoint extension line; undefined when the line is not a token-map line,
 * TokenMapError when it is one but malformed (not exactly one space and canonical base64 of 32 bytes).
 */
export function parseTokenMapLine(line: string): Uint8Array | undefined {
  if (line !== TOKEN_MAP_LINE_KEYWORD && !line.startsWith(`${TOKEN_MAP_LINE_KEYWORD} `)) return undefined;
  const root = tryFromBase64(line.slice(TOKEN_MAP_LINE_KEYWORD.length + 1));
  if (root === undefined || root.length !== HASH_SIZE) {
    throw new TokenMapError(
      'invalid-map-line',
      `${JSON.stringify(line)} is not "${TOKEN_MAP_LINE_KEYWORD} <base64 of 32 bytes>"`,
    );
  }
  return root;
}
