import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from './bytes.js';
import { leafHash } from './hasher.js';
import { CompactRange, rangeHash, rootOf } from './merkle.js';
import { MemoryTree } from './memory-tree.js';
import {
  MerkleError,
  type NodeId,
  frontierNodeIds,
  isAlignedRange,
  largestPowerOfTwoBelow,
  nodeCoverage,
  nodeKey,
  rangeNodeIds,
} from './tree-math.js';

const leaves = Array.from({ length: 100 }, (_, i) => leafHash(utf8(`entry ${i}`)));
const popCount = (n: number): number => n.toString(2).replaceAll('0', '').length;

describe('rangeNodeIds', () => {
  it('decomposes ranges into maximal perfect subtrees, left to right', () => {
    const ids = (begin: number, end: number): string[] => rangeNodeIds(begin, end).map(nodeKey);
    expect(ids(0, 0)).toEqual([]);
    expect(ids(0, 7)).toEqual(['2/0', '1/2', '0/6']);
    expect(ids(3, 13)).toEqual(['0/3', '2/1', '2/2', '0/12']);
    expect(ids(8, 16)).toEqual(['3/1']);
    expect(frontierNodeIds(2 ** 40 + 1).map(nodeKey)).toEqual(['40/0', `0/${2 ** 40}`]);
  });

  it('covers exactly the range, for every range within 0..40', () => {
    for (let end = 0; end <= 40; end++) {
      for (let begin = 0; begin <= end; begin++) {
        let cursor = begin;
        for (const id of rangeNodeIds(begin, end)) {
          const coverage = nodeCoverage(id);
          expect(coverage.begin).toBe(cursor);
          cursor = coverage.end;
        }
        expect(cursor).toBe(end);
      }
    }
  });

  it('rejects bad ranges', () => {
    expect(() => rangeNodeIds(5, 4)).toThrow(MerkleError);
    expect(() => rangeNodeIds(-1, 4)).toThrow(MerkleError);
    expect(() => rangeNodeIds(0, 2 ** 53)).toThrow(MerkleError);
    expect(() => largestPowerOfTwoBelow(1)).toThrow(MerkleError);
  });
});

describe('CompactRange', () => {
  it('emits every perfect node exactly once, with the right hash', () => {
    const range = CompactRange.empty();
    const emitted = new Map<string, string>();
    leaves.forEach((leaf, i) => {
      range.append(leaf, (id, hash) => {
        expect(emitted.has(nodeKey(id))).toBe(false);
        emitted.set(nodeKey(id), toHex(hash));
      });
      const size = i + 1;
      expect(emitted.size).toBe(2 * size - popCount(size));
      expect(toHex(range.root())).toBe(toHex(rootOf(leaves, 0, size)));
    });
    for (const key of emitted.keys()) {
      const [level, index] = key.split('/').map(Number) as [number, number];
      const { begin, end } = nodeCoverage({ level, index });
      expect(emitted.get(key)).toBe(toHex(rootOf(leaves, begin, end)));
    }
  });

  it('resumes from stored frontier nodes', () => {
    const tree = new MemoryTree();
    leaves.slice(0, 37).forEach((leaf) => tree.append(leaf));
    const frontier = frontierNodeIds(37).map((id: NodeId) => tree.lookup(id)!);
    const resumed = CompactRange.fromFrontier(37, frontier);
    expect(toHex(resumed.root())).toBe(toHex(rootOf(leaves, 0, 37)));
    leaves.slice(37).forEach((leaf) => resumed.append(leaf));
    expect(toHex(resumed.root())).toBe(toHex(rootOf(leaves)));
    expect(resumed.clone().size).toBe(100);
  });

  it('rejects a frontier that does not fit the size, and malformed leaves', () => {
    expect(() => CompactRange.fromFrontier(3, [leaves[0]!])).toThrow(/needs 2 frontier nodes/);
    expect(() => CompactRange.fromFrontier(1, [new Uint8Array(31)])).toThrow(MerkleError);
    expect(() => CompactRange.empty().append(new Uint8Array(33))).toThrow(MerkleError);
  });
});

describe('rangeHash', () => {
  const tree = new MemoryTree();
  leaves.forEach((leaf) => tree.append(leaf));

  it('equals the RFC subtree hash for every aligned range', () => {
    for (let end = 0; end <= 40; end++) {
      for (let begin = 0; begin <= end; begin++) {
        if (!isAlignedRange(begin, end)) continue;
        expect(toHex(rangeHash(begin, end, tree.lookup))).toBe(toHex(rootOf(leaves, begin, end)));
      }
    }
  });

  it('refuses unaligned ranges, whose RFC hash is not a fold of stored nodes', () => {
    expect(() => rangeHash(1, 4, tree.lookup)).toThrow(/not an aligned subtree/);
  });

  it('gives historical roots from stored nodes', () => {
    expect(toHex(tree.root(57))).toBe(toHex(rootOf(leaves, 0, 57)));
    expect(() => tree.root(101)).toThrow(MerkleError);
  });
});
