/**
 * Tree hashes from stored perfect nodes, the reference recursive root of RFC 9162 §2.1.1, and the
 * CompactRange used to append leaves while emitting every new perfect node for storage.
 */
import { HASH_SIZE, emptyRoot, nodeHash } from './hasher.js';
import {
  MerkleError,
  type NodeId,
  assertTreeSize,
  frontierNodeIds,
  isAlignedRange,
  largestPowerOfTwoBelow,
  nodeKey,
  rangeNodeIds,
} from './tree-math.js';

/** Returns the stored hash of a perfect node, or undefined when it is not stored. */
export type NodeLookup = (id: NodeId) => Uint8Array | undefined;

/** Reference MTH(D[begin:end]) over leaf hashes, straight from RFC 9162 §2.1.1 (for tests and replay). */
export function rootOf(leafHashes: readonly Uint8Array[], begin = 0, end = leafHashes.length): Uint8Array {
  if (!(0 <= begin && begin <= end && end <= leafHashes.length)) {
    throw new MerkleError('invalid-range', `range [${begin}, ${end}) outside ${leafHashes.length} leaves`);
  }
  const n = end - begin;
  if (n === 0) return emptyRoot();
  if (n === 1) return leafHashes[begin]!;
  const k = largestPowerOfTwoBelow(n);
  return nodeHash(rootOf(leafHashes, begin, begin + k), rootOf(leafHashes, begin + k, end));
}

/** Folds perfect subtree hashes (left to right order) into one RFC hash, combining right to left. */
export function foldRight(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return emptyRoot();
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/** Fetches a node through `lookup`, failing with MerkleError('missing-node') if absent or malformed. */
export function requireNode(lookup: NodeLookup, id: NodeId): Uint8Array {
  const hash = lookup(id);
  if (hash === undefined) throw new MerkleError('missing-node', `tree node ${nodeKey(id)} is not stored`);
  if (hash.length !== HASH_SIZE) {
    throw new MerkleError(
      'invalid-hash',
      `tree node ${nodeKey(id)} has ${hash.length} bytes, want ${HASH_SIZE}`,
    );
  }
  return hash;
}

/**
 * RFC hash of the aligned range [begin, end) from stored perfect nodes (the root when begin = 0).
 * Unaligned ranges are rejected: their RFC hash is not a fold of stored nodes.
 */
export function rangeHash(begin: number, end: number, lookup: NodeLookup): Uint8Array {
  const ids = rangeNodeIds(begin, end);
  if (!isAlignedRange(begin, end)) {
    throw new MerkleError('invalid-range', `range [${begin}, ${end}) is not an aligned subtree`);
  }
  return foldRight(ids.map((id) => requireNode(lookup, id)));
}

/** A stored perfect node, as emitted by CompactRange.append. */
export interface TreeNode {
  readonly id: NodeId;
  readonly hash: Uint8Array;
}

/**
 * The right frontier of a tree of `size` leaves: one hash per perfect subtree of [0, size).
 * Enough to append leaves and compute the root without reading the rest of the tree.
 */
export class CompactRange {
  private constructor(
    private treeSize: number,
    private readonly hashes: Uint8Array[],
  ) {}

  /** An empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** Restores a frontier from stored nodes, given in frontierNodeIds(size) order. */
  static fromFrontier(size: number, nodes: readonly Uint8Array[]): CompactRange {
    assertTreeSize(size);
    const expected = frontierNodeIds(size).length;
    if (nodes.length !== expected) {
      throw new MerkleError(
        'frontier-mismatch',
        `tree size ${size} needs ${expected} frontier nodes, got ${nodes.length}`,
      );
    }
    nodes.forEach((hash, i) => {
      if (hash.length !== HASH_SIZE) {
        throw new MerkleError(
          'invalid-hash',
          `frontier node ${i} has ${hash.length} bytes, want ${HASH_SIZE}`,
        );
      }
    });
    return new CompactRange(
      size,
      nodes.map((hash) => hash.slice()),
    );
  }

  /** Number of leaves. */
  get size(): number {
    return this.treeSize;
  }

  /** The frontier nodes with their ids, highest level first. */
  frontier(): TreeNode[] {
    return frontierNodeIds(this.treeSize).map((id, i) => ({ id, hash: this.hashes[i]!.slice() }));
  }

  /**
   * Appends one leaf hash and reports every perfect node this creates — the leaf itself at level 0
   * and each completed parent — so the caller can store exactly the nodes proofs will need.
   */
  append(leafHash: Uint8Array, onNode?: (id: NodeId, hash: Uint8Array) => void): void {
    if (leafHash.length !== HASH_SIZE) {
      throw new MerkleError('invalid-hash', `leaf hash has ${leafHash.length} bytes, want ${HASH_SIZE}`);
    }
    if (this.treeSize >= Number.MAX_SAFE_INTEGER) throw new MerkleError('invalid-size', 'tree is full');
    const index = this.treeSize;
    let hash: Uint8Array = leafHash.slice();
    onNode?.({ level: 0, index }, hash);
    // Each set low bit of the old size is a left sibling on the frontier waiting for this subtree.
    let level = 0;
    while (Math.floor(index / 2 ** level) % 2 === 1) {
      hash = nodeHash(this.hashes.pop()!, hash);
      level++;
      onNode?.({ level, index: Math.floor(index / 2 ** level) }, hash);
    }
    this.hashes.push(hash);
    this.treeSize = index + 1;
  }

  /** Root hash of the tree (SHA-256("") when empty). */
  root(): Uint8Array {
    return foldRight(this.hashes);
  }

  /** Independent copy. */
  clone(): CompactRange {
    return new CompactRange(
      this.treeSize,
      this.hashes.map((hash) => hash.slice()),
    );
  }
}
