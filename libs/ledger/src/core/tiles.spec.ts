import { describe, expect, it } from 'vitest';
import { utf8, toHex } from './bytes.js';
import { leafHash } from './hasher.js';
import { MemoryTree } from './memory-tree.js';
import { rangeHash, rootOf } from './merkle.js';
import { consistencyProof, inclusionProof } from './proof.js';
import {
  TILE_WIDTH,
  TileError,
  type TileId,
  decodeEntryBundle,
  encodeEntryBundle,
  formatTileIndex,
  isTileInTree,
  parseTilePath,
  tileHashes,
  tileNodeLookup,
  tilePath,
  tileWidthInTree,
  treeEntryBundles,
  treeTiles,
} from './tiles.js';

/** The bytes of a tile cut from a reference tree: hashes of tree level 8·L, as the spec defines them. */
function tileOf(tree: MemoryTree, tile: TileId): Uint8Array {
  const level = tile.level === 'entries' ? 0 : tile.level;
  const bytes = new Uint8Array(tile.width * 32);
  for (let i = 0; i < tile.width; i++) {
    bytes.set(tree.lookup({ level: 8 * level, index: tile.index * TILE_WIDTH + i })!, i * 32);
  }
  return bytes;
}

function treeOf(size: number): MemoryTree {
  const tree = new MemoryTree();
  for (let i = 0; i < size; i++) tree.append(leafHash(utf8(`entry ${i}`)));
  return tree;
}

describe('tile paths (c2sp.org/tlog-tiles)', () => {
  it('encodes indices as zero-padded 3-digit elements, all but the last x-prefixed', () => {
    // The spec's own example, then Go's golang.org/x/mod/sumdb/tlog path cases.
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(999)).toBe('999');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(formatTileIndex(123456078)).toBe('x123/x456/078');
    expect(tilePath({ level: 0, index: 1, width: 256 })).toBe('tile/0/001');
    expect(tilePath({ level: 0, index: 1, width: 5 })).toBe('tile/0/001.p/5');
    expect(tilePath({ level: 5, index: 123456078, width: 2 })).toBe('tile/5/x123/x456/078.p/2');
    expect(tilePath({ level: 'entries', index: 3057500, width: 256 })).toBe('tile/entries/x003/x057/500');
  });

  it('parses every path it formats back to the same tile', () => {
    for (const tile of [
      { level: 0, index: 0, width: 256 },
      { level: 63, index: 999, width: 1 },
      { level: 1, index: 1000, width: 255 },
      { level: 'entries' as const, index: 1234067, width: 17 },
      { level: 2, index: Number.MAX_SAFE_INTEGER, width: 256 },
    ]) {
      expect(parseTilePath(tilePath(tile))).toEqual(tile);
    }
  });

  it('refuses every other spelling', () => {
    for (const path of [
      'tile/0/1',
      'tile/0/0001',
      'tile/0/123/456/078', // inner elements need the x
      'tile/0/x123/x456/x078', // the last must not have it
      'tile/0/x000/001', // not canonical: one tile, one path
      'tile/00/000',
      'tile/01/000',
      'tile/64/000',
      'tile/-1/000',
      'tile/data/000',
      'tile/0/000.p/0',
      'tile/0/000.p/256',
      'tile/0/000.p/07',
      'tile/0/000.p/',
      'tile/0/000.p',
      'tile/0/000/',
      'tile/0/',
      'tile/0',
      'tiles/0/000',
      '/tile/0/000',
      'tile/0/x999/x999/x999/x999/x999/999', // beyond a safe integer
      'tile/0/+01',
      'tile/0/0x1',
      'tile/0/%30%30%30',
    ]) {
      expect(() => parseTilePath(path), path).toThrow(TileError);
    }
  });
});

describe('tiles of a tree', () => {
  it('lists the tiles the spec gives for 70,000 and 256 leaves', () => {
    const tiles = treeTiles(70_000);
    const level = (l: number) => tiles.filter((tile) => tile.level === l);
    expect(level(0).filter((t) => t.width === 256)).toHaveLength(273);
    expect(level(0).filter((t) => t.width < 256)).toEqual([{ level: 0, index: 273, width: 112 }]);
    expect(level(1)).toEqual([
      { level: 1, index: 0, width: 256 },
      { level: 1, index: 1, width: 17 },
    ]);
    expect(level(2)).toEqual([{ level: 2, index: 0, width: 1 }]);
    expect(tiles).toHaveLength(273 + 1 + 2 + 1);
    expect(treeTiles(256)).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 1 },
    ]);
    expect(treeTiles(0)).toEqual([]);
    expect(treeEntryBundles(300)).toEqual([
      { level: 'entries', index: 0, width: 256 },
      { level: 'entries', index: 1, width: 44 },
    ]);
  });

  it('knows which tiles a tree holds, partial ones up to the width it reached', () => {
    expect(tileWidthInTree(0, 1, 300)).toBe(44);
    expect(tileWidthInTree(0, 2, 300)).toBe(0);
    expect(tileWidthInTree('entries', 0, 300)).toBe(256);
    expect(isTileInTree({ level: 0, index: 1, width: 44 }, 300)).toBe(true);
    expect(isTileInTree({ level: 0, index: 1, width: 20 }, 300)).toBe(true); // an earlier checkpoint's
    expect(isTileInTree({ level: 0, index: 1, width: 45 }, 300)).toBe(false);
    expect(isTileInTree({ level: 0, index: 1, width: 256 }, 300)).toBe(false);
    expect(isTileInTree({ level: 1, index: 0, width: 1 }, 300)).toBe(true);
    expect(isTileInTree({ level: 1, index: 0, width: 2 }, 300)).toBe(false);
    expect(isTileInTree({ level: 63, index: 0, width: 1 }, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('gives the root and every proof of the reference tree from its tiles alone', () => {
    for (const size of [1, 255, 256, 257, 511, 512, 70_000]) {
      const tree = treeOf(size);
      const fetched = new Map(treeTiles(size).map((tile) => [tilePath(tile), tileOf(tree, tile)]));
      const lookup = tileNodeLookup(size, (tile) => fetched.get(tilePath(tile)));
      expect(toHex(rangeHash(0, size, lookup)), `root of ${size}`).toBe(toHex(tree.root()));
      for (const index of new Set([0, size - 1, Math.floor(size / 2), Math.min(size - 1, 300)])) {
        expect(inclusionProof(index, size, lookup).map(toHex)).toEqual(tree.inclusionProof(index).map(toHex));
      }
      for (const older of new Set([1, Math.ceil(size / 3), size])) {
        expect(consistencyProof(older, size, lookup).map(toHex)).toEqual(
          tree.consistencyProof(older).map(toHex),
        );
      }
      // Each full tile hashes to its hash in the tile above (the spec's definition of level L+1).
      for (const tile of treeTiles(size).filter((t) => t.width === TILE_WIDTH)) {
        const parent = fetched.get(
          tilePath({
            level: (tile.level as number) + 1,
            index: Math.floor(tile.index / TILE_WIDTH),
            width: tileWidthInTree((tile.level as number) + 1, Math.floor(tile.index / TILE_WIDTH), size),
          }),
        )!;
        const at = (tile.index % TILE_WIDTH) * 32;
        expect(toHex(rootOf(tileHashes(fetched.get(tilePath(tile))!)))).toBe(
          toHex(parent.subarray(at, at + 32)),
        );
      }
    }
  });

  it('answers undefined for a node whose tile was not fetched or lies beyond the tree', () => {
    const tree = treeOf(300);
    const lookup = tileNodeLookup(300, (tile) => (tile.level === 0 ? tileOf(tree, tile) : undefined));
    expect(lookup({ level: 0, index: 299 })).toEqual(tree.lookup({ level: 0, index: 299 }));
    expect(lookup({ level: 3, index: 1 })).toEqual(tree.lookup({ level: 3, index: 1 }));
    expect(lookup({ level: 8, index: 0 })).toBeUndefined(); // lives in level-1 tile 0
    expect(lookup({ level: 0, index: 300 })).toBeUndefined();
    expect(lookup({ level: 3, index: 37 })).toBeUndefined(); // leaves 296..303: not a full node yet
  });
});

describe('entry bundles', () => {
  it('prefixes each entry with its big-endian uint16 length', () => {
    const bundle = encodeEntryBundle([utf8('ab'), new Uint8Array(0), new Uint8Array(0x0102).fill(7)]);
    expect(toHex(bundle.subarray(0, 6))).toBe('000261620000');
    expect(toHex(bundle.subarray(6, 9))).toBe('010207');
    expect(bundle).toHaveLength(2 + 2 + 2 + 2 + 0x0102);
    expect(decodeEntryBundle(bundle).map((entry) => entry.length)).toEqual([2, 0, 0x0102]);
    expect(encodeEntryBundle([new Uint8Array(0xffff)])).toHaveLength(0x10001);
  });

  it('refuses entries too large for a bundle, and truncated or overlong bundles', () => {
    expect(() => encodeEntryBundle([new Uint8Array(0x10000)])).toThrow(/does not fit/);
    expect(() => decodeEntryBundle(Uint8Array.of(0))).toThrow(TileError);
    expect(() => decodeEntryBundle(Uint8Array.of(0, 3, 1, 2))).toThrow(/past the bundle's end/);
    expect(() => decodeEntryBundle(new Uint8Array(2 * 257))).toThrow(/at most 256/);
    expect(() => tileHashes(new Uint8Array(33))).toThrow(TileError);
    expect(() => tileHashes(new Uint8Array(257 * 32))).toThrow(TileError);
  });
});
