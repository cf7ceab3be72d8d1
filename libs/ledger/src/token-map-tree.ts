import { hash } from 'node:crypto';
import { HASH_SIZE } from './core/index.js';

/**
 * The token-heads map (core/token-map.ts, notes: map-spec) held in memory for the sequencer and for
 * proofs: leaves packed per bucket (the keys' top `depth` bits), and per level down to the buckets a
 * count and a hash of every subtree. Updating k tokens rehashes their buckets and the paths above
 * them; nothing is rehashed from the log. Same hashes as the core, with node:crypto for speed (the
 * core's reference build and verifier check it in tests and audit).
 */
export const MAP_RECORD = HASH_SIZE + 8 + HASH_SIZE; // key ‖ uint64-be index ‖ entry leaf hash
const EMPTY = Buffer.alloc(HASH_SIZE);
/** Average leaves per bucket before the tree is rebuilt one level deeper. */
const BUCKET_TARGET = 8;
const MAX_BUCKET_DEPTH = 22;

/** One token's latest entry: map key (SHA-256 of the id), log index and the entry's leaf hash. */
export interface MapLeaf {
  key: Buffer;
  index: number;
  leafHash: Buffer;
}

/** SHA-256 of the token id's UTF-8 bytes. */
export function mapKeyOf(tokenId: string): Buffer {
  return hash('sha256', tokenId, 'buffer');
}

const bitOf = (key: Uint8Array, i: number): number => (key[i >> 3]! >> (7 - (i & 7))) & 1;

const leafInput = Buffer.alloc(1 + MAP_RECORD, 0x02);
/** Map leaf hash of one packed record. */
function leafOf(record: Uint8Array): Buffer {
  leafInput.set(record, 1);
  return hash('sha256', leafInput, 'buffer');
}

const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE, 0x03);
function mapNode(left: Uint8Array, right: Uint8Array): Buffer {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'buffer');
}

/** The top `depth` bits of a key as an integer (depth ≤ 22). */
function bucketOf(key: Uint8Array, depth: number): number {
  if (depth === 0) return 0;
  const top = (key[0]! << 16) | (key[1]! << 8) | key[2]!;
  return top >>> (24 - depth);
}

function record(leaf: MapLeaf): Buffer {
  const out = Buffer.allocUnsafe(MAP_RECORD);
  leaf.key.copy(out, 0);
  out.writeUInt32BE(Math.floor(leaf.index / 2 ** 32), HASH_SIZE);
  out.writeUInt32BE(leaf.index % 2 ** 32, HASH_SIZE + 4);
  leaf.leafHash.copy(out, HASH_SIZE + 8);
  return out;
}

const recordKey = (bucket: Buffer, i: number) => bucket.subarray(i * MAP_RECORD, i * MAP_RECORD + HASH_SIZE);

/** Hash of the subtree at `depth` holding the sorted records [lo, hi) of a bucket. */
function subtree(bucket: Buffer, lo: number, hi: number, depth: number): Buffer {
  if (hi === lo) return EMPTY;
  if (hi - lo === 1) return leafOf(bucket.subarray(lo * MAP_RECORD, (lo + 1) * MAP_RECORD));
  const mid = splitAt(bucket, lo, hi, depth);
  return mapNode(subtree(bucket, lo, mid, depth + 1), subtree(bucket, mid, hi, depth + 1));
}

function splitAt(bucket: Buffer, lo: number, hi: number, depth: number): number {
  if (depth >= 256) throw new Error('token map: two tokens share a key');
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bitOf(recordKey(bucket, mid), depth) === 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A token's map proof: its latest entry and the siblings on its path, top-down. */
export interface MapProof {
  index: number;
  leafHash: Buffer;
  siblings: Buffer[];
}

export class TokenMapTree {
  /** Log size the map is at: it holds each token's latest entry below it. */
  size = 0;
  private readonly buckets: (Buffer | undefined)[];
  /** Per level 0..depth: subtree counts and hashes (32 bytes each). */
  private readonly counts: Uint32Array[] = [];
  private readonly hashes: Buffer[] = [];
  private tokens = 0;

  private constructor(readonly depth: number) {
    this.buckets = new Array<Buffer | undefined>(2 ** depth);
    for (let level = 0; level <= depth; level++) {
      this.counts.push(new Uint32Array(2 ** level));
      this.hashes.push(Buffer.alloc(2 ** level * HASH_SIZE));
    }
  }

  /** A map over leaves (one per key), at log size `size`. */
  static build(leaves: Iterable<MapLeaf>, size: number, expected = 0): TokenMapTree {
    const records = [...leaves].map(record);
    return TokenMapTree.fromRecords(records, size, Math.max(expected, records.length));
  }

  private static fromRecords(records: Buffer[], size: number, count: number): TokenMapTree {
    let depth = 0;
    while (depth < MAX_BUCKET_DEPTH && 2 ** depth * BUCKET_TARGET < count) depth++;
    const tree = new TokenMapTree(depth);
    tree.size = size;
    const parts: Buffer[][] = [];
    for (const rec of records) (parts[bucketOf(rec, depth)] ??= []).push(rec);
    const dirty: number[] = [];
    parts.forEach((bucket, at) => {
      bucket.sort((a, b) => a.compare(b, 0, HASH_SIZE, 0, HASH_SIZE));
      tree.buckets[at] = Buffer.concat(bucket);
      dirty.push(at);
    });
    tree.tokens = records.length;
    tree.rehash(dirty);
    return tree;
  }

  /** The map root. */
  get root(): Buffer {
    return Buffer.from(this.hashes[0]!);
  }

  /** Number of tokens in the map. */
  get tokenCount(): number {
    return this.tokens;
  }

  /**
   * Sets each leaf's token to its entry (later leaves of one key win) and moves to log size `size`.
   * Returns the map, or a rebuilt deeper one when the buckets grew too full.
   */
  update(leaves: readonly MapLeaf[], size: number): TokenMapTree {
    // A batch that would overfill the buckets is merged into a deeper rebuild first: inserting many
    // leaves into a few big buckets one by one is quadratic (a fresh map's first batch).
    if (this.depth < MAX_BUCKET_DEPTH && this.tokens + leaves.length > 2 ** this.depth * BUCKET_TARGET * 4) {
      const byKey = new Map<string, Buffer>();
      for (const rec of this.allRecords()) byKey.set(rec.toString('latin1', 0, HASH_SIZE), rec);
      for (const leaf of leaves) byKey.set(leaf.key.toString('latin1'), record(leaf));
      return TokenMapTree.fromRecords([...byKey.values()], size, byKey.size);
    }
    const dirty = new Set<number>();
    for (const leaf of leaves) {
      const at = bucketOf(leaf.key, this.depth);
      const bucket = this.buckets[at];
      const rec = record(leaf);
      dirty.add(at);
      if (!bucket) {
        this.buckets[at] = rec;
        this.tokens++;
        continue;
      }
      const n = bucket.length / MAP_RECORD;
      let i = 0;
      while (i < n && recordKey(bucket, i).compare(leaf.key) < 0) i++;
      if (i < n && recordKey(bucket, i).equals(leaf.key)) {
        rec.copy(bucket, i * MAP_RECORD);
      } else {
        this.buckets[at] = Buffer.concat([
          bucket.subarray(0, i * MAP_RECORD),
          rec,
          bucket.subarray(i * MAP_RECORD),
        ]);
        this.tokens++;
      }
    }
    this.size = size;
    if (this.depth < MAX_BUCKET_DEPTH && this.tokens > 2 ** this.depth * BUCKET_TARGET * 4) {
      return TokenMapTree.fromRecords(this.allRecords(), size, this.tokens);
    }
    this.rehash([...dirty]);
    return this;
  }

  private allRecords(): Buffer[] {
    const out: Buffer[] = [];
    for (const bucket of this.buckets) {
      if (!bucket) continue;
      for (let i = 0; i < bucket.length; i += MAP_RECORD) out.push(bucket.subarray(i, i + MAP_RECORD));
    }
    return out;
  }

  /** Recomputes the given buckets and every subtree above them. */
  private rehash(dirty: number[]): void {
    const bottom = this.depth;
    for (const at of dirty) {
      const bucket = this.buckets[at];
      const n = bucket ? bucket.length / MAP_RECORD : 0;
      this.counts[bottom]![at] = n;
      this.setHash(bottom, at, bucket ? subtree(bucket, 0, n, bottom) : EMPTY);
    }
    let level = new Set(dirty);
    for (let depth = bottom - 1; depth >= 0; depth--) {
      const parents = new Set<number>();
      for (const at of level) parents.add(at >>> 1);
      for (const at of parents) {
        const left = this.counts[depth + 1]![2 * at]!;
        const right = this.counts[depth + 1]![2 * at + 1]!;
        this.counts[depth]![at] = left + right;
        const hash =
          left + right === 0
            ? EMPTY
            : left + right === 1
              ? this.hashAt(depth + 1, left === 1 ? 2 * at : 2 * at + 1)
              : mapNode(this.hashAt(depth + 1, 2 * at), this.hashAt(depth + 1, 2 * at + 1));
        this.setHash(depth, at, hash);
      }
      level = parents;
    }
  }

  private hashAt(depth: number, at: number): Buffer {
    return this.hashes[depth]!.subarray(at * HASH_SIZE, (at + 1) * HASH_SIZE);
  }

  private setHash(depth: number, at: number, hash: Uint8Array): void {
    this.hashes[depth]!.set(hash, at * HASH_SIZE);
  }

  /** The proof for a key, or undefined when the map does not hold it. */
  proof(key: Buffer): MapProof | undefined {
    const at = bucketOf(key, this.depth);
    const bucket = this.buckets[at];
    if (!bucket) return undefined;
    let lo = 0;
    let hi = bucket.length / MAP_RECORD;
    const found = [...Array(hi).keys()].find((i) => recordKey(bucket, i).equals(key));
    if (found === undefined) return undefined;
    const rec = bucket.subarray(found * MAP_RECORD, (found + 1) * MAP_RECORD);
    const index = rec.readUInt32BE(HASH_SIZE) * 2 ** 32 + rec.readUInt32BE(HASH_SIZE + 4);
    const result = { index, leafHash: Buffer.from(rec.subarray(HASH_SIZE + 8)), siblings: [] as Buffer[] };
    for (let depth = 0; depth < this.depth; depth++) {
      const node = at >>> (this.depth - depth);
      if (this.counts[depth]![node] === 1) return result;
      const child = (node << 1) | bitOf(key, depth);
      result.siblings.push(Buffer.from(this.hashAt(depth + 1, child ^ 1)));
    }
    for (let depth = this.depth; hi - lo > 1; depth++) {
      const mid = splitAt(bucket, lo, hi, depth);
      if (bitOf(key, depth) === 0) {
        result.siblings.push(subtree(bucket, mid, hi, depth + 1));
        hi = mid;
      } else {
        result.siblings.push(subtree(bucket, lo, mid, depth + 1));
        lo = mid;
      }
    }
    return result;
  }
}
