/**
 * RFC 9162 §2.1.1 Merkle tree hashing with SHA-256 (identical to RFC 6962):
 * leaves and interior nodes use distinct one-byte prefixes so a leaf can never pass for a node.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** Size in bytes of every hash in the tree. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const EMPTY_ROOT = sha256(new Uint8Array(0));

/** Leaf hash: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

/** Interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** Root of the empty tree: SHA-256(""). Returns a fresh copy each call. */
export function emptyRoot(): Uint8Array {
  return EMPTY_ROOT.slice();
}

/** Plain SHA-256, re-exported so callers need not depend on @noble/hashes themselves. */
export function sha256Digest(data: Uint8Array): Uint8Array {
  return sha256(data);
}
