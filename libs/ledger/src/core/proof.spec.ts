/**
 * Every inclusion and consistency proof of every tree size 1..64, built from stored nodes through
 * the plans, compared with a reference written straight from RFC 9162 §2.1.3.1 (PATH) and
 * §2.1.4.1 (PROOF/SUBPROOF), and verified; proofs of trees up to 32 leaves are then corrupted the way
 * transparency-dev/merkle's proof/verify_test.go corrupts proofs — each corruption must be rejected.
 */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from './bytes.js';
import { HASH_SIZE, emptyRoot, leafHash, nodeHash } from './hasher.js';
import { MemoryTree } from './memory-tree.js';
import { type NodeLookup, rangeHash } from './merkle.js';
import {
  ProofError,
  consistencyPlan,
  inclusionPlan,
  inclusionProof,
  consistencyProof,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './proof.js';

const MAX_SIZE = 64;
const CORRUPT_UP_TO = 32;
const leaves = Array.from({ length: MAX_SIZE }, (_, i) => leafHash(utf8(`leaf-${i}`)));

// --- Reference implementation: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1, over leaves[begin:end). ---
const memo = new Map<string, Uint8Array>();
function mth(begin: number, end: number): Uint8Array {
  const key = `${begin}:${end}`;
  let hash = memo.get(key);
  if (hash === undefined) {
    const n = end - begin;
    if (n === 0) hash = emptyRoot();
    else if (n === 1) hash = leaves[begin]!;
    else {
      let k = 1;
      while (k * 2 < n) k *= 2;
      hash = nodeHash(mth(begin, begin + k), mth(begin + k, end));
    }
    memo.set(key, hash);
  }
  return hash;
}
function splitOf(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function refPath(m: number, begin: number, end: number): Uint8Array[] {
  const n = end - begin;
  if (n === 1) return [];
  const k = splitOf(n);
  return m < k
    ? [...refPath(m, begin, begin + k), mth(begin + k, end)]
    : [...refPath(m - k, begin + k, end), mth(begin, begin + k)];
}
function refSubproof(m: number, begin: number, end: number, haveRoot: boolean): Uint8Array[] {
  const n = end - begin;
  if (m === n) return haveRoot ? [] : [mth(begin, end)];
  const k = splitOf(n);
  return m <= k
    ? [...refSubproof(m, begin, begin + k, haveRoot), mth(begin + k, end)]
    : [...refSubproof(m - k, begin + k, end, false), mth(begin, begin + k)];
}
const refConsistency = (m: number, n: number): Uint8Array[] => (m === n ? [] : refSubproof(m, 0, n, true));

const tree = new MemoryTree();
leaves.forEach((hash) => tree.append(hash));
const roots = Array.from({ length: MAX_SIZE + 1 }, (_, size) => mth(0, size));
const SOME_HASH = leafHash(utf8('some other hash'));

const flip = (proof: Uint8Array[], i: number, bit: number): Uint8Array[] =>
  proof.map((hash, j) => (j === i ? hash.map((byte, b) => (b === 0 ? byte ^ bit : byte)) : hash));

function corruptInclusions(index: number, size: number, proof: Uint8Array[]) {
  const root = roots[size]!;
  const leaf = leaves[index]!;
  const probes: [string, () => void][] = [
    ['index - 1', () => verifyInclusion(leaf, index - 1, size, proof, root)],
    ['index + 1', () => verifyInclusion(leaf, index + 1, size, proof, root)],
    ['index ^ 2', () => verifyInclusion(leaf, index ^ 2, size, proof, root)],
    ['size * 2', () => verifyInclusion(leaf, index, size * 2, proof, root)],
    ['size / 2', () => verifyInclusion(leaf, index, Math.floor(size / 2), proof, root)],
    ['wrong leaf', () => verifyInclusion(SOME_HASH, index, size, proof, root)],
    ['empty root', () => verifyInclusion(leaf, index, size, proof, emptyRoot())],
    ['random root', () => verifyInclusion(leaf, index, size, proof, SOME_HASH)],
    ['trailing garbage', () => verifyInclusion(leaf, index, size, [...proof, new Uint8Array(0)], root)],
    ['trailing root', () => verifyInclusion(leaf, index, size, [...proof, root], root)],
    ['preceding garbage', () => verifyInclusion(leaf, index, size, [new Uint8Array(0), ...proof], root)],
    ['preceding root', () => verifyInclusion(leaf, index, size, [root, ...proof], root)],
  ];
  proof.forEach((_, i) =>
    probes.push([`flipped proof[${i}]`, () => verifyInclusion(leaf, index, size, flip(proof, i, 8), root)]),
  );
  if (proof.length > 0)
    probes.push(['removed component', () => verifyInclusion(leaf, index, size, proof.slice(0, -1), root)]);
  if (proof.length > 1) {
    probes.push([
      'inserted component',
      () => verifyInclusion(leaf, index, size, [proof[0]!, SOME_HASH, ...proof.slice(1)], root),
    ]);
  }
  return probes;
}

function corruptConsistencies(size1: number, size2: number, proof: Uint8Array[]) {
  const root1 = roots[size1]!;
  const root2 = roots[size2]!;
  const verify = (s1: number, s2: number, p: Uint8Array[], r1: Uint8Array, r2: Uint8Array) => () =>
    verifyConsistency(s1, s2, p, r1, r2);
  const probes: [string, () => void][] = [
    ['size1 - 1', verify(size1 - 1, size2, proof, root1, root2)],
    ['size1 + 1', verify(size1 + 1, size2, proof, root1, root2)],
    ['size1 ^ 2', verify(size1 ^ 2, size2, proof, root1, root2)],
    ['size2 * 2', verify(size1, size2 * 2, proof, root1, root2)],
    ['size2 / 2', verify(size1, Math.floor(size2 / 2), proof, root1, root2)],
    ['wrong root1', verify(size1, size2, proof, SOME_HASH, root2)],
    ['wrong root2', verify(size1, size2, proof, root1, SOME_HASH)],
    ['swapped roots', verify(size1, size2, proof, root2, root1)],
    ['empty proof', verify(size1, size2, [], root1, root2)],
    ['trailing garbage', verify(size1, size2, [...proof, new Uint8Array(0)], root1, root2)],
    ['trailing root1', verify(size1, size2, [...proof, root1], root1, root2)],
    ['trailing root2', verify(size1, size2, [...proof, root2], root1, root2)],
    ['preceding garbage', verify(size1, size2, [new Uint8Array(0), ...proof], root1, root2)],
    ['preceding root1', verify(size1, size2, [root1, ...proof], root1, root2)],
    ['preceding root2', verify(size1, size2, [root2, ...proof], root1, root2)],
    ['preceding proof[0]', verify(size1, size2, [proof[0]!, ...proof], root1, root2)],
    ['truncated proof', verify(size1, size2, proof.slice(0, -1), root1, root2)],
  ];
  proof.forEach((_, i) =>
    probes.push([`flipped proof[${i}]`, verify(size1, size2, flip(proof, i, 16), root1, root2)]),
  );
  return probes;
}

function expectAllRejected(probes: [string, () => void][], what: string): void {
  const accepted = probes.filter(([, probe]) => {
    try {
      probe();
      return true;
    } catch (error) {
      if (!(error instanceof ProofError)) throw error;
      return false;
    }
  });
  expect(accepted.map(([name]) => `${what}: ${name}`)).toEqual([]);
}

describe('inclusion proofs for every leaf of every tree size 1..64', () => {
  it('match the RFC 9162 reference, verify, and reject every corruption', () => {
    for (let size = 1; size <= MAX_SIZE; size++) {
      for (let index = 0; index < size; index++) {
        const plan = inclusionPlan(index, size);
        const proof = plan.build(tree.lookup);
        expect(proof.map(toHex), `PATH(${index}, ${size})`).toEqual(refPath(index, 0, size).map(toHex));
        verifyInclusion(leaves[index]!, index, size, proof, roots[size]!);
        if (size <= CORRUPT_UP_TO)
          expectAllRejected(corruptInclusions(index, size, proof), `inclusion ${index}/${size}`);
      }
    }
  });
});

describe('consistency proofs between every pair of sizes 1 <= size1 <= size2 <= 64', () => {
  it('match the RFC 9162 reference, verify, and reject every corruption', () => {
    for (let size2 = 1; size2 <= MAX_SIZE; size2++) {
      for (let size1 = 1; size1 <= size2; size1++) {
        const proof = consistencyPlan(size1, size2).build(tree.lookup);
        expect(proof.map(toHex), `PROOF(${size1}, ${size2})`).toEqual(
          refConsistency(size1, size2).map(toHex),
        );
        verifyConsistency(size1, size2, proof, roots[size1]!, roots[size2]!);
        // Corrupting every pair up to 64 adds ~1 s for no new paths; pairs up to 32 cover each proof shape.
        if (size1 < size2 && size2 <= CORRUPT_UP_TO) {
          expectAllRejected(corruptConsistencies(size1, size2, proof), `consistency ${size1}->${size2}`);
        }
      }
    }
  });

  it('treats the empty tree as a prefix of every tree, with an empty proof', () => {
    expect(consistencyPlan(0, 5).nodeIds).toEqual([]);
    verifyConsistency(0, 5, [], emptyRoot(), roots[5]!);
    verifyConsistency(0, 0, [], emptyRoot(), emptyRoot());
    expect(() => verifyConsistency(0, 5, [], SOME_HASH, roots[5]!)).toThrow(/empty tree root/);
    expect(() => verifyConsistency(0, 5, [roots[5]!], emptyRoot(), roots[5]!)).toThrow(ProofError);
  });
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof ProofError ? error.code : `not a ProofError: ${String(error)}`;
  }
}

describe('typed proof errors', () => {
  const proof = tree.inclusionProof(5, 13);

  it('names the failed check', () => {
    expect(codeOf(() => verifyInclusion(leaves[5]!, 5, 13, proof, roots[13]!))).toBeUndefined();
    expect(codeOf(() => verifyInclusion(leaves[5]!, 5, 13, flip(proof, 1, 1), roots[13]!))).toBe(
      'root-mismatch',
    );
    expect(codeOf(() => verifyInclusion(leaves[5]!, 5, 13, proof.slice(1), roots[13]!))).toBe(
      'wrong-proof-size',
    );
    expect(codeOf(() => verifyInclusion(leaves[5]!, 13, 13, proof, roots[13]!))).toBe('index-out-of-range');
    expect(codeOf(() => verifyInclusion(leaves[5]!, 6, 13, proof, roots[13]!))).toBe('root-mismatch');
    expect(codeOf(() => verifyInclusion(leaves[5]!.slice(1), 5, 13, proof, roots[13]!))).toBe(
      'wrong-hash-size',
    );
    expect(codeOf(() => verifyInclusion(leaves[5]!, -1, 13, proof, roots[13]!))).toBe('invalid-size');
    expect(codeOf(() => verifyInclusion(leaves[5]!, 0.5, 13, proof, roots[13]!))).toBe('invalid-size');
    expect(codeOf(() => inclusionPlan(0, 0))).toBe('index-out-of-range');
    expect(codeOf(() => consistencyPlan(6, 5))).toBe('size-out-of-order');
    const consistency = tree.consistencyProof(5, 13);
    expect(codeOf(() => verifyConsistency(5, 13, consistency, SOME_HASH, roots[13]!))).toBe(
      'old-root-mismatch',
    );
    expect(codeOf(() => verifyConsistency(5, 13, consistency, roots[5]!, SOME_HASH))).toBe('root-mismatch');
    expect(codeOf(() => verifyConsistency(5, 13, consistency.slice(1), roots[5]!, roots[13]!))).toBe(
      'wrong-proof-size',
    );
    expect(codeOf(() => verifyConsistency(5, 5, [], roots[5]!, roots[6]!))).toBe('root-mismatch');
  });

  it('reports a node the store lacks', () => {
    const empty: NodeLookup = () => undefined;
    expect(() => inclusionProof(3, 7, empty)).toThrow(/not stored/);
    expect(() => consistencyProof(3, 7, empty)).toThrow(/not stored/);
  });
});

describe('arithmetic beyond 32 bits', () => {
  // A tree whose leaves are all equal: each level has a single node hash, so any size is cheap.
  const levelHashes = [leafHash(utf8('same'))];
  for (let level = 1; level <= 53; level++)
    levelHashes.push(nodeHash(levelHashes[level - 1]!, levelHashes[level - 1]!));
  const lookup: NodeLookup = ({ level }) => levelHashes[level];

  it.each([
    { index: 2 ** 32 + 5, size: 2 ** 33 + 7 },
    { index: 2 ** 31, size: 2 ** 32 + 1 },
    { index: 2 ** 52 - 1, size: 2 ** 52 + 3 },
    { index: Number.MAX_SAFE_INTEGER - 1, size: Number.MAX_SAFE_INTEGER },
  ])('proves leaf $index of $size', ({ index, size }) => {
    const root = rangeHash(0, size, lookup);
    const proof = inclusionProof(index, size, lookup);
    expect(proof.every((hash) => hash.length === HASH_SIZE)).toBe(true);
    expect(toHex(rootFromInclusionProof(levelHashes[0]!, index, size, proof))).toBe(toHex(root));
    const size1 = index + 1;
    verifyConsistency(size1, size, consistencyProof(size1, size, lookup), rangeHash(0, size1, lookup), root);
  });
});
