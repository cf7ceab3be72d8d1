import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drawWinners, seedCommitment } from './lottery.js';

describe('lottery', () => {
  const entrants = Array.from({ length: 50 }, (_, i) => `buyer-${i}`);

  it('is deterministic for a seed and independent of entry order', () => {
    const seed = randomBytes(32);
    const winners = drawWinners(seed, entrants, 10);
    expect(winners).toHaveLength(10);
    expect(drawWinners(seed, [...entrants].reverse(), 10)).toEqual(winners);
    expect(new Set(winners).size).toBe(10);
  });

  it('changes with the seed and never exceeds the entrants', () => {
    expect(drawWinners(randomBytes(32), entrants, 10)).not.toEqual(
      drawWinners(randomBytes(32), entrants, 10),
    );
    expect(drawWinners(randomBytes(32), ['a', 'a', 'b'], 10)).toHaveLength(2);
  });

  it('commits to the seed with SHA-256 (known vector)', () => {
    expect(seedCommitment(Buffer.from('abc')).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
