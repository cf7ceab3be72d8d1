/**
 * Golden RFC 6962/9162 vectors for the 8-leaf test tree used across the transparency ecosystem.
 * Sources (Apache-2.0), copied verbatim:
 * - github.com/transparency-dev/merkle testonly/constants.go (LeafInputs, NodeHashes, RootHashes, CompactTrees)
 * - github.com/transparency-dev/merkle proof/verify_test.go (inclusionProofs, consistencyProofs; 1-based leaf)
 * - github.com/transparency-dev/merkle testonly/reference_test.go (TestRefInclusionProof, TestRefConsistencyProof)
 * - github.com/transparency-dev/merkle proof/proof_test.go (TestInclusion / TestConsistency node ids)
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes.js';
import { emptyRoot, leafHash, nodeHash } from './hasher.js';
import { CompactRange, rootOf } from './merkle.js';
import { MemoryTree } from './memory-tree.js';
import { consistencyPlan, inclusionPlan, verifyConsistency, verifyInclusion } from './proof.js';
import { type NodeId, frontierNodeIds, nodeKey } from './tree-math.js';

const LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];

const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

const ROOT_HASHES = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

// CompactTrees(): frontier of each tree size as [level, index] into NODE_HASHES.
const COMPACT_TREES: [number, number][][] = [
  [],
  [[0, 0]],
  [[1, 0]],
  [
    [1, 0],
    [0, 2],
  ],
  [[2, 0]],
  [
    [2, 0],
    [0, 4],
  ],
  [
    [2, 0],
    [1, 2],
  ],
  [
    [2, 0],
    [1, 2],
    [0, 6],
  ],
  [[3, 0]],
];

// verify_test.go inclusionProofs (leaf is 1-based there) plus reference_test.go TestRefInclusionProof (0-based).
const INCLUSION_PROOFS: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  { index: 0, size: 2, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7'] },
  { index: 1, size: 2, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'] },
];

// verify_test.go consistencyProofs.
const CONSISTENCY_PROOFS: { size1: number; size2: number; proof: string[] }[] = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

const leafHashes = LEAF_INPUTS.map((input) => leafHash(fromHex(input)));

function treeOf(size: number): MemoryTree {
  const tree = new MemoryTree();
  leafHashes.slice(0, size).forEach((hash) => tree.append(hash));
  return tree;
}

describe('RFC 6962 hashing (transparency-dev/merkle testonly vectors)', () => {
  it('hashes the empty tree as SHA-256("")', () => {
    expect(toHex(emptyRoot())).toBe(ROOT_HASHES[0]);
  });

  it('computes every leaf and interior node hash', () => {
    expect(leafHashes.map(toHex)).toEqual(NODE_HASHES[0]);
    for (let level = 1; level < NODE_HASHES.length; level++) {
      NODE_HASHES[level]!.forEach((want, index) => {
        const left = fromHex(NODE_HASHES[level - 1]![2 * index]!);
        const right = fromHex(NODE_HASHES[level - 1]![2 * index + 1]!);
        expect(toHex(nodeHash(left, right))).toBe(want);
      });
    }
  });

  it('computes the root of every size 0..8 with the reference recursion, CompactRange and stored nodes', () => {
    const range = CompactRange.empty();
    const tree = treeOf(8);
    ROOT_HASHES.forEach((want, size) => {
      expect(toHex(rootOf(leafHashes, 0, size))).toBe(want);
      expect(toHex(range.root())).toBe(want);
      expect(toHex(tree.root(size))).toBe(want);
      if (size < 8) range.append(leafHashes[size]!);
    });
  });

  it('keeps the same frontier as CompactTrees()', () => {
    COMPACT_TREES.forEach((frontier, size) => {
      const range = CompactRange.empty();
      leafHashes.slice(0, size).forEach((hash) => range.append(hash));
      expect(frontierNodeIds(size).map(({ level, index }) => [level, index])).toEqual(frontier);
      expect(range.frontier().map(({ hash }) => toHex(hash))).toEqual(
        frontier.map(([level, index]) => NODE_HASHES[level]![index]),
      );
    });
  });
});

describe('RFC 6962 proofs (transparency-dev/merkle vectors)', () => {
  const tree = treeOf(8);

  it.each(INCLUSION_PROOFS)('inclusion of leaf $index in tree of $size', ({ index, size, proof }) => {
    expect(tree.inclusionProof(index, size).map(toHex)).toEqual(proof);
    verifyInclusion(leafHashes[index]!, index, size, proof.map(fromHex), fromHex(ROOT_HASHES[size]!));
  });

  it.each(CONSISTENCY_PROOFS)('consistency from $size1 to $size2', ({ size1, size2, proof }) => {
    expect(tree.consistencyProof(size1, size2).map(toHex)).toEqual(proof);
    verifyConsistency(
      size1,
      size2,
      proof.map(fromHex),
      fromHex(ROOT_HASHES[size1]!),
      fromHex(ROOT_HASHES[size2]!),
    );
  });
});

// proof/proof_test.go lists the stored nodes each proof needs (in its own order); compare as sets.
const id = (level: number, index: number): NodeId => ({ level, index });
const keys = (ids: readonly NodeId[]): string[] => ids.map(nodeKey).sort();

describe('proof plans fetch the nodes transparency-dev/merkle fetches (proof_test.go)', () => {
  it.each([
    { size: 1, index: 0, want: [] },
    { size: 2, index: 0, want: [id(0, 1)] },
    { size: 3, index: 1, want: [id(0, 0), id(0, 2)] },
    { size: 7, index: 0, want: [id(0, 1), id(1, 1), id(0, 6), id(1, 2)] },
    { size: 7, index: 3, want: [id(0, 2), id(1, 0), id(0, 6), id(1, 2)] },
    { size: 7, index: 4, want: [id(0, 5), id(0, 6), id(2, 0)] },
    { size: 7, index: 6, want: [id(1, 2), id(2, 0)] },
    { size: 6, index: 3, want: [id(0, 2), id(1, 0), id(1, 2)] },
    { size: 15, index: 10, want: [id(0, 11), id(1, 4), id(0, 14), id(1, 6), id(3, 0)] },
    { size: 31, index: 24, want: [id(0, 25), id(1, 13), id(0, 30), id(1, 14), id(3, 2), id(4, 0)] },
    {
      size: 95,
      index: 81,
      want: [id(0, 80), id(1, 41), id(2, 21), id(0, 94), id(1, 46), id(2, 22), id(4, 4), id(6, 0)],
    },
  ])('inclusion of $index in $size', ({ size, index, want }) => {
    expect(keys(inclusionPlan(index, size).nodeIds)).toEqual(keys(want));
  });

  it.each([
    { size1: 1, size2: 2, want: [id(0, 1)] },
    { size1: 1, size2: 6, want: [id(0, 1), id(1, 1), id(1, 2)] },
    { size1: 2, size2: 8, want: [id(1, 1), id(2, 1)] },
    { size1: 3, size2: 7, want: [id(0, 2), id(0, 3), id(1, 0), id(0, 6), id(1, 2)] },
    { size1: 4, size2: 7, want: [id(0, 6), id(1, 2)] },
    { size1: 5, size2: 7, want: [id(0, 4), id(0, 5), id(0, 6), id(2, 0)] },
    { size1: 7, size2: 8, want: [id(0, 6), id(0, 7), id(1, 2), id(2, 0)] },
    { size1: 5, size2: 5, want: [] },
    { size1: 10, size2: 15, want: [id(1, 4), id(1, 5), id(0, 14), id(1, 6), id(3, 0)] },
    { size1: 24, size2: 31, want: [id(3, 2), id(0, 30), id(1, 14), id(2, 6), id(4, 0)] },
    {
      size1: 81,
      size2: 95,
      want: [id(0, 80), id(0, 81), id(1, 41), id(2, 21), id(0, 94), id(1, 46), id(2, 22), id(4, 4), id(6, 0)],
    },
  ])('consistency from $size1 to $size2', ({ size1, size2, want }) => {
    expect(keys(consistencyPlan(size1, size2).nodeIds)).toEqual(keys(want));
  });
});
