import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildTokenMapRoot, verifyTokenMapProof, type TokenMapEntry } from './core/index.js';
import { TokenMapTree, mapKeyOf, type MapLeaf } from './token-map-tree.js';

const leafHashOf = (index: number) => createHash('sha256').update(`entry ${index}`).digest();

describe('TokenMapTree (the sequencer’s in-memory map)', () => {
  it('matches the core reference build through big and small batches, overwrites and deepening', () => {
    const entries: TokenMapEntry[] = [];
    let map = TokenMapTree.build([], 0);
    let size = 0;
    // A big first batch (deepens at once), then small ones that move existing tokens and add new ones.
    const batches = [5_000, 7, 1, 300, 2_000, 64];
    batches.forEach((count, b) => {
      const leaves: MapLeaf[] = [];
      for (let i = 0; i < count; i++) {
        const tokenId = b % 2 === 1 && i % 2 === 0 ? `tok-${i * 13}` : `tok-${size}`;
        const index = size++;
        entries.push({ tokenId, index, leafHash: leafHashOf(index) });
        leaves.push({ key: mapKeyOf(tokenId), index, leafHash: leafHashOf(index) });
      }
      map = map.update(leaves, size);
      expect(map.size).toBe(size);
      expect(map.root.toString('hex')).toBe(Buffer.from(buildTokenMapRoot(entries)).toString('hex'));
    });
    for (const tokenId of ['tok-0', 'tok-13', 'tok-26', `tok-${size - 1}`]) {
      const proof = map.proof(mapKeyOf(tokenId))!;
      const latest = entries.filter((entry) => entry.tokenId === tokenId).at(-1)!;
      expect(proof.index).toBe(latest.index);
      expect(verifyTokenMapProof(map.root, tokenId, proof.index, proof.leafHash, proof.siblings)).toBe(true);
    }
    expect(map.proof(mapKeyOf('tok-never'))).toBeUndefined();
  });
});
