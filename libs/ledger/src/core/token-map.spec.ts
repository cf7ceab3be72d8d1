import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toBase64, toHex, utf8 } from './bytes.js';
import { leafHash } from './hasher.js';
import {
  TOKEN_MAP_EMPTY,
  TokenMapError,
  buildTokenMapProof,
  buildTokenMapRoot,
  formatTokenMapLine,
  parseTokenMapLine,
  tokenMapKey,
  tokenMapKeyBit,
  tokenMapLeaf,
  tokenMapNode,
  verifyTokenMapProof,
  type TokenMapEntry,
} from './token-map.js';

/** Deterministic pseudo-random numbers (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A log of `size` entries over `tokens` token ids, in random order. */
function randomLog(rand: () => number, size: number, tokens: number): TokenMapEntry[] {
  return Array.from({ length: size }, (_, index) => ({
    tokenId: `tok_${Math.floor(rand() * tokens)}`,
    index,
    leafHash: leafHash(utf8(`entry ${index} ${rand()}`)),
  }));
}

/** Straight from the spec, written apart from the module's sorted build: partition by bit, recurse. */
function referenceRoot(entries: readonly TokenMapEntry[]): Uint8Array {
  const latest = new Map<string, TokenMapEntry>();
  for (const entry of entries) latest.set(entry.tokenId, entry); // entries come in index order
  const leaves = [...latest.values()].map((entry) => {
    const key = sha256(utf8(entry.tokenId));
    const index = new Uint8Array(8);
    new DataView(index.buffer).setBigUint64(0, BigInt(entry.index));
    return { key, hash: sha256(concatBytes(Uint8Array.of(2), key, index, entry.leafHash)) };
  });
  const bit = (key: Uint8Array, i: number) => (key[Math.floor(i / 8)]! >> (7 - (i % 8))) & 1;
  const hash = (set: typeof leaves, depth: number): Uint8Array => {
    if (set.length === 0) return new Uint8Array(32);
    if (set.length === 1) return set[0]!.hash;
    const left = set.filter((leaf) => bit(leaf.key, depth) === 0);
    const right = set.filter((leaf) => bit(leaf.key, depth) === 1);
    return sha256(concatBytes(Uint8Array.of(3), hash(left, depth + 1), hash(right, depth + 1)));
  };
  return hash(leaves, 0);
}

const flip = (bytes: Uint8Array, at = 0): Uint8Array => {
  const copy = bytes.slice();
  copy[at]! ^= 1;
  return copy;
};

describe('token map encoding', () => {
  it('keys are SHA-256 of the UTF-8 token id, bits most significant first', () => {
    const key = tokenMapKey('tok_7Hq2');
    expect(toHex(key)).toBe(toHex(sha256(utf8('tok_7Hq2'))));
    const bits = Array.from({ length: 16 }, (_, i) => tokenMapKeyBit(key, i)).join('');
    expect(bits).toBe((key[0]! * 256 + key[1]!).toString(2).padStart(16, '0'));
  });

  it('hashes a leaf as 0x02 ‖ key ‖ uint64-be index ‖ entry leaf hash, a node as 0x03 ‖ left ‖ right', () => {
    const key = tokenMapKey('tok_7Hq2');
    const entry = fromHex('4da22a22ad18479b8a52c4c759a51d528cb384198f5ee6d798a44b983cdb1538');
    const index = 2 ** 40 + 7;
    const expected = sha256(concatBytes(Uint8Array.of(2), key, fromHex('0000010000000007'), entry));
    expect(toHex(tokenMapLeaf(key, index, entry))).toBe(toHex(expected));
    expect(toHex(tokenMapNode(key, entry))).toBe(toHex(sha256(concatBytes(Uint8Array.of(3), key, entry))));
  });

  it('roots the empty map at 32 zero bytes and a one-token map at its leaf', () => {
    expect(toHex(buildTokenMapRoot([]))).toBe('00'.repeat(32));
    expect(TOKEN_MAP_EMPTY).toEqual(new Uint8Array(32));
    const entry = { tokenId: 'tok_a', index: 3, leafHash: leafHash(utf8('x')) };
    const root = buildTokenMapRoot([entry]);
    expect(root).toEqual(tokenMapLeaf(tokenMapKey('tok_a'), 3, entry.leafHash));
    expect(buildTokenMapProof([entry], 'tok_a')).toEqual({
      index: 3,
      leafHash: entry.leafHash,
      siblings: [],
    });
    expect(verifyTokenMapProof(root, 'tok_a', 3, entry.leafHash, [])).toBe(true);
  });

  it('keeps only each token’s latest entry, whatever order the entries come in', () => {
    const log = randomLog(random(1), 40, 5);
    expect(buildTokenMapRoot([...log].reverse())).toEqual(buildTokenMapRoot(log));
    const latestOnly = [...new Map(log.map((entry) => [entry.tokenId, entry])).values()];
    expect(buildTokenMapRoot(latestOnly)).toEqual(buildTokenMapRoot(log));
    expect(buildTokenMapRoot(log.slice(0, 39))).not.toEqual(buildTokenMapRoot(log));
  });
});

describe('token map over random logs', () => {
  it('matches a reference build of the root, and every token’s proof verifies against it', () => {
    const rand = random(42);
    for (const [size, tokens] of [
      [1, 1],
      [2, 2],
      [3, 3],
      [10, 4],
      [50, 50],
      [200, 60],
      [600, 500],
    ] as const) {
      const log = randomLog(rand, size, tokens);
      const root = buildTokenMapRoot(log);
      expect(toHex(root)).toBe(toHex(referenceRoot(log)));
      const ids = new Set(log.map((entry) => entry.tokenId));
      for (const id of [...ids].slice(0, 60)) {
        const proof = buildTokenMapProof(log, id)!;
        const latest = log.filter((entry) => entry.tokenId === id).at(-1)!;
        expect(proof.index).toBe(latest.index);
        expect(verifyTokenMapProof(root, id, proof.index, proof.leafHash, proof.siblings)).toBe(true);
        // At every earlier size the map holds the token's latest entry as of then.
        const earlier = log.slice(0, Math.max(1, latest.index));
        const old = buildTokenMapProof(earlier, id);
        if (old && size <= 200) {
          expect(
            verifyTokenMapProof(buildTokenMapRoot(earlier), id, old.index, old.leafHash, old.siblings),
          ).toBe(true);
        }
      }
      expect(buildTokenMapProof(log, 'tok_never')).toBeUndefined();
    }
  });

  it('rejects tampered siblings, a wrong index, leaf hash, token or root, and cut or padded proofs', () => {
    const log = randomLog(random(7), 300, 120);
    const root = buildTokenMapRoot(log);
    const id = log[250]!.tokenId;
    const { index, leafHash: leaf, siblings } = buildTokenMapProof(log, id)!;
    expect(siblings.length).toBeGreaterThan(2);
    expect(verifyTokenMapProof(root, id, index, leaf, siblings)).toBe(true);
    siblings.forEach((_, i) => {
      const tampered = siblings.map((sibling, j) => (j === i ? flip(sibling, 31) : sibling));
      expect(verifyTokenMapProof(root, id, index, leaf, tampered)).toBe(false);
    });
    const older = log.filter((entry) => entry.tokenId === id && entry.index < index).at(-1);
    if (older) expect(verifyTokenMapProof(root, id, older.index, older.leafHash, siblings)).toBe(false);
    expect(verifyTokenMapProof(root, id, index + 1, leaf, siblings)).toBe(false);
    expect(verifyTokenMapProof(root, id, index, flip(leaf), siblings)).toBe(false);
    expect(
      verifyTokenMapProof(
        root,
        log[0]!.tokenId === id ? log[1]!.tokenId : log[0]!.tokenId,
        index,
        leaf,
        siblings,
      ),
    ).toBe(false);
    expect(verifyTokenMapProof(flip(root), id, index, leaf, siblings)).toBe(false);
    expect(verifyTokenMapProof(root, id, index, leaf, siblings.slice(0, -1))).toBe(false);
    expect(verifyTokenMapProof(root, id, index, leaf, siblings.slice(1))).toBe(false);
    expect(verifyTokenMapProof(root, id, index, leaf, [...siblings, siblings[0]!])).toBe(false);
    expect(verifyTokenMapProof(root, id, index, leaf, [siblings[0]!.subarray(1), ...siblings.slice(1)])).toBe(
      false,
    );
    expect(verifyTokenMapProof(root, id, -1, leaf, siblings)).toBe(false);
    expect(verifyTokenMapProof(root, id, 0.5, leaf, siblings)).toBe(false);
  });

  it('rejects a non-canonical proof (EMPTY deepest sibling) even when its hashes add up', () => {
    const entry = { tokenId: 'tok_a', index: 0, leafHash: leafHash(utf8('a')) };
    const key = tokenMapKey(entry.tokenId);
    const leaf = tokenMapLeaf(key, entry.index, entry.leafHash);
    // The one-leaf subtree put one level down instead of collapsed to the root.
    const padded =
      tokenMapKeyBit(key, 0) === 0
        ? tokenMapNode(leaf, TOKEN_MAP_EMPTY)
        : tokenMapNode(TOKEN_MAP_EMPTY, leaf);
    expect(verifyTokenMapProof(padded, 'tok_a', 0, entry.leafHash, [TOKEN_MAP_EMPTY])).toBe(false);
    // EMPTY higher up is fine: two leaves sharing a first bit.
    const log = randomLog(random(3), 64, 64);
    const root = buildTokenMapRoot(log);
    for (const id of new Set(log.map((e) => e.tokenId))) {
      const proof = buildTokenMapProof(log, id)!;
      expect(toHex(proof.siblings.at(-1) ?? TOKEN_MAP_EMPTY)).not.toBe('00'.repeat(32));
      expect(verifyTokenMapProof(root, id, proof.index, proof.leafHash, proof.siblings)).toBe(true);
    }
  });

  it('rejects proofs deeper than 256 levels', () => {
    const entry = { tokenId: 'tok_a', index: 0, leafHash: leafHash(utf8('a')) };
    const siblings = Array.from({ length: 257 }, (_, i) => sha256(utf8(`s${i}`)));
    const key = tokenMapKey('tok_a');
    let hash = tokenMapLeaf(key, 0, entry.leafHash);
    for (let i = 256; i >= 0; i--) {
      // bit 256 does not exist; the chain is whatever a lax verifier reading past the key would compute
      hash =
        (i < 256 ? tokenMapKeyBit(key, i) : 0) === 0
          ? tokenMapNode(hash, siblings[i]!)
          : tokenMapNode(siblings[i]!, hash);
    }
    expect(verifyTokenMapProof(hash, 'tok_a', 0, entry.leafHash, siblings)).toBe(false);
  });
});

describe('token map checkpoint line', () => {
  it('formats and parses `heirloom-token-map <base64 root>`', () => {
    const root = sha256(utf8('root'));
    const line = formatTokenMapLine(root);
    expect(line).toBe(`heirloom-token-map ${toBase64(root)}`);
    expect(parseTokenMapLine(line)).toEqual(root);
    expect(parseTokenMapLine('other-extension abc')).toBeUndefined();
    expect(parseTokenMapLine('heirloom-token-mapx abc')).toBeUndefined();
  });

  it('refuses a malformed token-map line', () => {
    const root = toBase64(sha256(utf8('root')));
    for (const line of [
      'heirloom-token-map',
      'heirloom-token-map ',
      `heirloom-token-map  ${root}`,
      `heirloom-token-map ${root} `,
      `heirloom-token-map ${toBase64(new Uint8Array(31))}`,
      `heirloom-token-map ${root.slice(0, -2)}B=`, // non-zero bits under the padding
    ]) {
      expect(() => parseTokenMapLine(line), line).toThrow(TokenMapError);
    }
    expect(() => formatTokenMapLine(new Uint8Array(31))).toThrow(TokenMapError);
  });
});
