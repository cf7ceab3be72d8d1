import { hash } from 'node:crypto';
import { HASH_SIZE } from './core/index.js';

/**
 * Tree storage in strips: row (level, k) holds the perfect nodes k·128 … k·128+127 of one tree level,
 * appended to as the log grows. A proof reads one short row per level it touches and hashes
 * nothing; the sequencer rewrites only the few partial strips at the tree's right edge. Hashing here
 * uses node:crypto (the core's hasher is pure JS to stay browser-safe, and slower); audit replay
 * recomputes the whole tree with the core.
 */
export const STRIP_WIDTH = 128;

/** The node at `offset` in a strip, or undefined when the strip does not hold it (yet). */
export function nodeInStrip(strip: Uint8Array | undefined, offset: number): Uint8Array | undefined {
  const at = offset * HASH_SIZE;
  return strip && strip.length >= at + HASH_SIZE ? strip.subarray(at, at + HASH_SIZE) : undefined;
}

const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01); // reused: hash() reads it synchronously

/** RFC 9162 interior node hash SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'buffer');
}

const LEAF_PREFIX = Buffer.of(0x00);

/** RFC 9162 leaf hash SHA-256(0x00 ‖ entry): the same bytes as the core's leafHash, faster. */
export function leafHashOf(entry: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX, entry]), 'buffer');
}

/** Hashes to append to one strip, in order. */
export interface StripAppend {
  level: number;
  index: number;
  hashes: Buffer;
}

/**
 * Appends leaf hashes (concatenated) to a tree of `size` leaves whose right frontier is given
 * (highest level first; updated in place) and returns what the strips gain: every leaf and every
 * completed parent node.
 */
export function appendLeaves(frontier: Uint8Array[], size: number, leaves: Buffer): StripAppend[] {
  const appends: StripAppend[] = [];
  // Each level's nodes come in index order, so each level fills one strip at a time.
  const filling: { index: number; parts: Uint8Array[] }[] = [];
  const flush = (level: number) => {
    const strip = filling[level];
    if (strip) appends.push({ level, index: strip.index, hashes: Buffer.concat(strip.parts) });
  };
  const store = (level: number, nodeIndex: number, node: Uint8Array) => {
    const index = Math.floor(nodeIndex / STRIP_WIDTH);
    if (filling[level]?.index !== index) {
      flush(level);
      filling[level] = { index, parts: [] };
    }
    filling[level].parts.push(node);
  };
  for (let offset = 0, index = size; offset < leaves.length; offset += HASH_SIZE, index++) {
    let node: Uint8Array = leaves.subarray(offset, offset + HASH_SIZE);
    store(0, index, node);
    // Each set low bit of the index is a left sibling on the frontier waiting for this subtree.
    for (let level = 1, at = index; at % 2 === 1; level++) {
      node = nodeHash(frontier.pop()!, node);
      at = (at - 1) / 2;
      store(level, at, node);
    }
    frontier.push(node);
  }
  filling.forEach((_, level) => flush(level));
  return appends;
}

/** Root of a frontier (highest level first): its hashes folded right to left. */
export function rootOfFrontier(frontier: readonly Uint8Array[]): Buffer {
  if (frontier.length === 0) return hash('sha256', Buffer.alloc(0), 'buffer');
  let root: Buffer = Buffer.from(frontier[frontier.length - 1]!);
  for (let i = frontier.length - 2; i >= 0; i--) root = nodeHash(frontier[i]!, root);
  return root;
}

/** Splits concatenated 32-byte hashes. */
export function splitHashes(bytes: Uint8Array): Uint8Array[] {
  const hashes: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += HASH_SIZE) hashes.push(bytes.subarray(at, at + HASH_SIZE));
  return hashes;
}
