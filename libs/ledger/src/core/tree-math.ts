/**
 * Addressing for the stored tree. Every PERFECT subtree is a node (level, index) covering leaves
 * [index·2^level, (index+1)·2^level); level 0 holds leaf hashes. Plain arithmetic (no 32-bit
 * bitwise operators) keeps every function exact up to Number.MAX_SAFE_INTEGER leaves.
 */
import { LedgerCoreError } from './errors.js';

export type MerkleErrorCode =
  'invalid-size' | 'invalid-range' | 'invalid-hash' | 'frontier-mismatch' | 'missing-node';

/** Raised for malformed tree arguments or stored nodes (not for failed proofs: see ProofError). */
export class MerkleError extends LedgerCoreError<MerkleErrorCode> {}

/** A perfect subtree: `index`-th node of height `level`. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** Stable string key for maps and SQL tuples, e.g. "3/17". */
export function nodeKey(id: NodeId): string {
  return `${id.level}/${id.index}`;
}

/** Leaf range [begin, end) covered by a node. */
export function nodeCoverage(id: NodeId): { begin: number; end: number } {
  const width = 2 ** id.level;
  return { begin: id.index * width, end: (id.index + 1) * width };
}

/** Throws MerkleError('invalid-size') unless n is a non-negative safe integer. */
export function assertTreeSize(n: number, what = 'tree size'): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new MerkleError('invalid-size', `${what} must be a non-negative safe integer, got ${n}`);
  }
}

/** Largest power of two strictly below n (RFC 9162 split point k); requires n >= 2. */
export function largestPowerOfTwoBelow(n: number): number {
  if (!(n >= 2)) throw new MerkleError('invalid-size', `split point needs n >= 2, got ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Smallest power of two >= n (1 for n <= 1). */
export function bitCeil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** True when n is a power of two (1, 2, 4, …). */
export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && bitCeil(n) === n;
}

/**
 * True when [begin, end) is a subtree of some RFC 9162 tree, i.e. its RFC hash equals the
 * right-to-left fold of its perfect decomposition: begin is 0 or a multiple of bitCeil(end - begin).
 */
export function isAlignedRange(begin: number, end: number): boolean {
  return begin === 0 || begin % bitCeil(end - begin) === 0;
}

/** Decomposes [begin, end) into maximal perfect subtrees, left to right. */
export function rangeNodeIds(begin: number, end: number): NodeId[] {
  assertTreeSize(begin, 'range begin');
  assertTreeSize(end, 'range end');
  if (begin > end) throw new MerkleError('invalid-range', `range begin ${begin} > end ${end}`);
  const ids: NodeId[] = [];
  let cursor = begin;
  while (cursor < end) {
    let width = 1;
    let level = 0;
    while (cursor % (width * 2) === 0 && cursor + width * 2 <= end) {
      width *= 2;
      level++;
    }
    ids.push({ level, index: cursor / width });
    cursor += width;
  }
  return ids;
}

/** Perfect subtrees that make up a tree of `size` leaves (its right frontier), highest level first. */
export function frontierNodeIds(size: number): NodeId[] {
  return rangeNodeIds(0, size);
}
