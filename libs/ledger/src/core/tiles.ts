/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the log as static files. A hash tile at level L
 * holds up to 256 consecutive tree hashes of tree level 8·L; tile N covers leaves
 * [N·256^(L+1), (N+1)·256^(L+1)). An entry bundle holds the entries behind level-0 tile N, each
 * prefixed by its length as a big-endian uint16. Paths, tile math and a NodeLookup over fetched
 * tiles, so a client builds the root and any proof from tiles alone. Pure and browser-safe.
 */
import { LedgerCoreError } from './errors.js';
import { HASH_SIZE } from './hasher.js';
import { type NodeLookup, rootOf } from './merkle.js';
import { type NodeId } from './tree-math.js';

/** Tree levels per tile level: a tile is a subtree of height 8. */
export const TILE_HEIGHT = 8;
/** Hashes (or entries) in a full tile. */
export const TILE_WIDTH = 256;
/** Highest tile level a path may name. */
export const MAX_TILE_LEVEL = 63;
/** Largest entry an entry bundle can carry (its uint16 length prefix). */
export const MAX_BUNDLED_ENTRY = 0xffff;

export type TileErrorCode = 'malformed-path' | 'malformed-tile' | 'malformed-bundle' | 'entry-too-large';

/** A tile path, tile or entry bundle that does not follow tlog-tiles. */
export class TileError extends LedgerCoreError<TileErrorCode> {}

/**
 * One tile: a hash tile (`level` 0–63) or an entry bundle (`level` "entries"); `width` is 256 for a
 * full tile, 1–255 for a partial one.
 */
export interface TileId {
  readonly level: number | 'entries';
  readonly index: number;
  readonly width: number;
}

/** Tile index as path elements: 1234067 → "x001/x234/067" (zero-padded, all but the last x-prefixed). */
export function formatTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new TileError('malformed-path', `a tile index must be a non-negative safe integer, got ${index}`);
  }
  let n = index;
  let path = String(n % 1000).padStart(3, '0');
  while (n >= 1000) {
    n = Math.floor(n / 1000);
    path = `x${String(n % 1000).padStart(3, '0')}/${path}`;
  }
  return path;
}

/** The tile's path below the log's prefix, e.g. "tile/0/x001/234.p/17" or "tile/entries/000". */
export function tilePath(tile: TileId): string {
  assertTile(tile);
  const partial = tile.width < TILE_WIDTH ? `.p/${tile.width}` : '';
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${partial}`;
}

const LEVEL = /^(0|[1-9]\d?)$/;
const WIDTH = /^[1-9]\d{0,2}$/;
const INNER_ELEMENT = /^x\d{3}$/;
const LAST_ELEMENT = /^\d{3}$/;

/**
 * Reads a tile path below the prefix ("tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]").
 * Only the canonical spelling is accepted (no extra leading "x000" elements), so each tile has one
 * path and one cache entry. Throws TileError('malformed-path').
 */
export function parseTilePath(path: string): TileId {
  const malformed = () =>
    new TileError('malformed-path', `not a tlog-tiles tile path: ${path.slice(0, 100)}`);
  const parts = path.split('/');
  if (parts.length < 3 || parts.length > 10 || parts[0] !== 'tile') throw malformed();
  const levelText = parts[1]!;
  let level: number | 'entries';
  if (levelText === 'entries') level = 'entries';
  else if (LEVEL.test(levelText) && Number(levelText) <= MAX_TILE_LEVEL) level = Number(levelText);
  else throw malformed();

  let elements = parts.slice(2);
  let width = TILE_WIDTH;
  const beforeLast = elements[elements.length - 2];
  if (beforeLast?.endsWith('.p')) {
    const widthText = elements[elements.length - 1]!;
    if (!WIDTH.test(widthText) || Number(widthText) >= TILE_WIDTH) throw malformed();
    width = Number(widthText);
    elements = [...elements.slice(0, -2), beforeLast.slice(0, -'.p'.length)];
  }
  const last = elements.length - 1;
  if (!elements.every((element, i) => (i < last ? INNER_ELEMENT : LAST_ELEMENT).test(element))) {
    throw malformed();
  }
  if (elements.length > 1 && elements[0] === 'x000') throw malformed();
  let index = 0;
  for (const element of elements) index = index * 1000 + Number(element.replace('x', ''));
  if (!Number.isSafeInteger(index)) throw malformed();
  return { level, index, width };
}

/** 256^level, the leaves under one hash of a level-`level` tile. */
function leavesPerHash(level: number): number {
  return TILE_WIDTH ** level;
}

/**
 * How many hashes tile `index` at `level` ("entries": level 0) holds in a tree of `size` leaves:
 * 256 when full, 0 when the tree does not reach it.
 */
export function tileWidthInTree(level: number | 'entries', index: number, size: number): number {
  const hashes = Math.floor(size / leavesPerHash(level === 'entries' ? 0 : level));
  return Math.max(0, Math.min(TILE_WIDTH, hashes - index * TILE_WIDTH));
}

/**
 * True when a tree of `size` leaves has this tile, full or partial (a partial tile is the first
 * `width` hashes of its tile, so every width up to what the tree holds is determined).
 */
export function isTileInTree(tile: TileId, size: number): boolean {
  return tile.width <= tileWidthInTree(tile.level, tile.index, size);
}

/** Every hash tile of a tree of `size` leaves, level by level (the partial ones last in each level). */
export function treeTiles(size: number): TileId[] {
  const tiles: TileId[] = [];
  for (let level = 0; Math.floor(size / leavesPerHash(level)) >= 1; level++) {
    const hashes = Math.floor(size / leavesPerHash(level));
    for (let index = 0; index * TILE_WIDTH < hashes; index++) {
      tiles.push({ level, index, width: Math.min(TILE_WIDTH, hashes - index * TILE_WIDTH) });
    }
  }
  return tiles;
}

/** The entry bundles of a tree of `size` leaves (the last one partial unless size is a multiple of 256). */
export function treeEntryBundles(size: number): TileId[] {
  return treeTiles(size)
    .filter((tile) => tile.level === 0)
    .map((tile) => ({ ...tile, level: 'entries' as const }));
}

/**
 * Where a perfect node of a tree of `size` leaves is found: the tile holding the hashes of level
 * 8·⌊level/8⌋ under it (as wide as the tree has it), and which of its hashes those are.
 */
export function tileForNode(node: NodeId, size: number): { tile: TileId; first: number; count: number } {
  const level = Math.floor(node.level / TILE_HEIGHT);
  const count = 2 ** (node.level - level * TILE_HEIGHT);
  const start = node.index * count; // position among the hashes of tree level 8·level
  const index = Math.floor(start / TILE_WIDTH);
  const width = tileWidthInTree(level, index, size);
  return { tile: { level, index, width }, first: start - index * TILE_WIDTH, count };
}

/**
 * A NodeLookup over tiles of a tree of `size` leaves: nodes of levels 8·L are read from level-L
 * tiles, the levels between are hashed from them. `tileBytes` returns a fetched tile, or undefined.
 * Use it with inclusionPlan / consistencyPlan / rangeHash to get proofs and roots from tiles alone.
 */
export function tileNodeLookup(
  size: number,
  tileBytes: (tile: TileId) => Uint8Array | undefined,
): NodeLookup {
  return (node) => {
    if ((node.index + 1) * 2 ** node.level > size) return undefined;
    const { tile, first, count } = tileForNode(node, size);
    const bytes = tileBytes(tile);
    if (bytes === undefined) return undefined;
    const hashes = tileHashes(bytes);
    if (hashes.length < first + count) return undefined;
    return rootOf(hashes.slice(first, first + count));
  };
}

/** Splits a hash tile into its 32-byte hashes; throws TileError('malformed-tile') for a bad length. */
export function tileHashes(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0 || bytes.length % HASH_SIZE !== 0 || bytes.length > TILE_WIDTH * HASH_SIZE) {
    throw new TileError('malformed-tile', `a hash tile is 1 to 256 hashes, got ${bytes.length} bytes`);
  }
  const hashes: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += HASH_SIZE) hashes.push(bytes.subarray(at, at + HASH_SIZE));
  return hashes;
}

/** Entries as an entry bundle: each prefixed by its length, a big-endian uint16. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  const bundle = new Uint8Array(entries.reduce((sum, entry) => sum + 2 + entry.length, 0));
  let at = 0;
  for (const entry of entries) {
    if (entry.length > MAX_BUNDLED_ENTRY) {
      throw new TileError('entry-too-large', `an entry of ${entry.length} bytes does not fit a bundle`);
    }
    bundle[at] = entry.length >> 8;
    bundle[at + 1] = entry.length & 0xff;
    bundle.set(entry, at + 2);
    at += 2 + entry.length;
  }
  return bundle;
}

/** The entries of an entry bundle; throws TileError('malformed-bundle') for a truncated one. */
export function decodeEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  for (let at = 0; at < bundle.length;) {
    if (at + 2 > bundle.length) throw new TileError('malformed-bundle', `truncated length at byte ${at}`);
    const length = (bundle[at]! << 8) | bundle[at + 1]!;
    if (at + 2 + length > bundle.length) {
      throw new TileError('malformed-bundle', `entry at byte ${at} runs past the bundle's end`);
    }
    entries.push(bundle.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (entries.length > TILE_WIDTH) {
    throw new TileError('malformed-bundle', `a bundle holds at most 256 entries, got ${entries.length}`);
  }
  return entries;
}

function assertTile(tile: TileId): void {
  const levelOk =
    tile.level === 'entries' ||
    (Number.isInteger(tile.level) && tile.level >= 0 && tile.level <= MAX_TILE_LEVEL);
  if (!levelOk || !Number.isInteger(tile.width) || tile.width < 1 || tile.width > TILE_WIDTH) {
    throw new TileError('malformed-path', `no such tile: level ${tile.level}, width ${tile.width}`);
  }
}
