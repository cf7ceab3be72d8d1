/**
 * RFC 9162 inclusion (§2.1.3) and consistency (§2.1.4) proofs. Proofs are built from stored perfect
 * nodes only: each proof element is the RFC hash of an aligned leaf range, which is either one
 * stored node or (at most once per proof, on the right edge) a fold of a few stored nodes.
 */
import { toHex, bytesEqual } from './bytes.js';
import { LedgerCoreError } from './errors.js';
import { HASH_SIZE, emptyRoot, nodeHash } from './hasher.js';
import { type NodeLookup, foldRight, requireNode } from './merkle.js';
import {
  type NodeId,
  assertTreeSize,
  isPowerOfTwo,
  largestPowerOfTwoBelow,
  rangeNodeIds,
} from './tree-math.js';

export type ProofErrorCode =
  | 'index-out-of-range'
  | 'invalid-size'
  | 'size-out-of-order'
  | 'wrong-proof-size'
  | 'wrong-hash-size'
  | 'old-root-mismatch'
  | 'root-mismatch';

/** A proof could not be built or did not verify; `code` says which check failed. */
export class ProofError extends LedgerCoreError<ProofErrorCode> {}

/** What to fetch for a proof (all in one query) and how to assemble it once fetched. */
export interface ProofPlan {
  /** Every stored node the proof needs, without duplicates. */
  readonly nodeIds: readonly NodeId[];
  /** Assembles the proof, bottom-up as RFC 9162 orders it, from the fetched nodes. */
  build(lookup: NodeLookup): Uint8Array[];
}

interface LeafRange {
  readonly begin: number;
  readonly end: number;
}

/** Leaf ranges whose hashes form PATH(index, D[0:size]), bottom-up (RFC 9162 §2.1.3.1). */
function inclusionRanges(index: number, size: number): LeafRange[] {
  const topDown: LeafRange[] = [];
  let begin = 0;
  let end = size;
  while (end - begin > 1) {
    const split = begin + largestPowerOfTwoBelow(end - begin);
    if (index < split) {
      topDown.push({ begin: split, end });
      end = split;
    } else {
      topDown.push({ begin, end: split });
      begin = split;
    }
  }
  return topDown.reverse();
}

/** Leaf ranges whose hashes form PROOF(size1, D[0:size2]), bottom-up (RFC 9162 §2.1.4.1). */
function consistencyRanges(size1: number, size2: number): LeafRange[] {
  if (size1 === 0 || size1 === size2) return [];
  const topDown: LeafRange[] = [];
  let begin = 0;
  let end = size2;
  // The old root is known to the verifier only while we are still on the left edge of the tree.
  let oldRootIsKnown = true;
  while (size1 !== end) {
    const split = begin + largestPowerOfTwoBelow(end - begin);
    if (size1 <= split) {
      topDown.push({ begin: split, end });
      end = split;
    } else {
      topDown.push({ begin, end: split });
      begin = split;
      oldRootIsKnown = false;
    }
  }
  if (!oldRootIsKnown) topDown.push({ begin, end });
  return topDown.reverse();
}

function planFromRanges(ranges: readonly LeafRange[]): ProofPlan {
  const idsPerRange = ranges.map(({ begin, end }) => rangeNodeIds(begin, end));
  return {
    nodeIds: idsPerRange.flat(),
    build: (lookup) => idsPerRange.map((ids) => foldRight(ids.map((id) => requireNode(lookup, id)))),
  };
}

function checkSize(n: number, what: string): void {
  try {
    assertTreeSize(n, what);
  } catch (error) {
    throw new ProofError('invalid-size', (error as Error).message);
  }
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE) {
    throw new ProofError('wrong-hash-size', `${what} has ${hash.length} bytes, want ${HASH_SIZE}`);
  }
}

function checkIndex(index: number, size: number): void {
  checkSize(index, 'leaf index');
  checkSize(size, 'tree size');
  if (index >= size)
    throw new ProofError('index-out-of-range', `leaf index ${index} is not below tree size ${size}`);
}

function checkSizeOrder(size1: number, size2: number): void {
  checkSize(size1, 'old tree size');
  checkSize(size2, 'new tree size');
  if (size1 > size2)
    throw new ProofError('size-out-of-order', `old tree size ${size1} > new tree size ${size2}`);
}

function checkProofLength(proof: readonly Uint8Array[], want: number): void {
  if (proof.length !== want)
    throw new ProofError('wrong-proof-size', `proof has ${proof.length} hashes, want ${want}`);
  proof.forEach((hash, i) => checkHash(hash, `proof[${i}]`));
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/** Plan for the inclusion proof of leaf `index` in the tree of `size` leaves. */
export function inclusionPlan(index: number, size: number): ProofPlan {
  checkIndex(index, size);
  return planFromRanges(inclusionRanges(index, size));
}

/** Plan for the consistency proof from tree size `size1` to `size2` (empty when size1 is 0 or equal). */
export function consistencyPlan(size1: number, size2: number): ProofPlan {
  checkSizeOrder(size1, size2);
  return planFromRanges(consistencyRanges(size1, size2));
}

/** Inclusion proof built synchronously from a node lookup. */
export function inclusionProof(index: number, size: number, lookup: NodeLookup): Uint8Array[] {
  return inclusionPlan(index, size).build(lookup);
}

/** Consistency proof built synchronously from a node lookup. */
export function consistencyProof(size1: number, size2: number, lookup: NodeLookup): Uint8Array[] {
  return consistencyPlan(size1, size2).build(lookup);
}

/** Root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1–4); throws ProofError on malformed input. */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkIndex(index, size);
  checkHash(leafHash, 'leaf hash');
  checkProofLength(proof, inclusionRanges(index, size).length);
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new ProofError('wrong-proof-size', 'proof is longer than the path to the root');
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new ProofError('wrong-proof-size', 'proof is shorter than the path to the root');
  return r;
}

/** Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with `root`; throws ProofError if not. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(root, 'root');
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  if (!bytesEqual(computed, root)) {
    throw new ProofError(
      'root-mismatch',
      `inclusion proof for leaf ${index} of ${size} yields root ${toHex(computed)}, want ${toHex(root)}`,
    );
  }
}

/**
 * Old and new roots implied by a consistency proof (RFC 9162 §2.1.4.2 steps 1–6), given the old root.
 * Requires 0 < size1 <= size2; the caller compares the results against the roots it trusts.
 */
export function rootsFromConsistencyProof(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
): { oldRoot: Uint8Array; newRoot: Uint8Array } {
  checkSizeOrder(size1, size2);
  checkHash(root1, 'old root');
  if (size1 === 0)
    throw new ProofError('invalid-size', 'a consistency proof from the empty tree has no roots to compute');
  checkProofLength(proof, consistencyRanges(size1, size2).length);
  if (size1 === size2) return { oldRoot: root1, newRoot: root1 };
  // When size1 is a power of two its root is a node of the new tree and is left out of the proof.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofError('wrong-proof-size', 'proof is longer than the path to the root');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new ProofError('wrong-proof-size', 'proof is shorter than the path to the root');
  return { oldRoot: fr, newRoot: sr };
}

/** Verifies that the tree (size1, root1) is a prefix of the tree (size2, root2); throws ProofError if not. */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkSizeOrder(size1, size2);
  checkHash(root1, 'old root');
  checkHash(root2, 'new root');
  if (size1 === 0) {
    // Every tree extends the empty tree; only the empty root itself can be wrong.
    checkProofLength(proof, 0);
    if (!bytesEqual(root1, emptyRoot())) {
      throw new ProofError('old-root-mismatch', `old root ${toHex(root1)} is not the empty tree root`);
    }
    return;
  }
  const { oldRoot, newRoot } = rootsFromConsistencyProof(size1, size2, proof, root1);
  if (!bytesEqual(oldRoot, root1)) {
    throw new ProofError(
      'old-root-mismatch',
      `proof yields old root ${toHex(oldRoot)}, want ${toHex(root1)}`,
    );
  }
  if (!bytesEqual(newRoot, root2)) {
    throw new ProofError('root-mismatch', `proof yields new root ${toHex(newRoot)}, want ${toHex(root2)}`);
  }
}
