import { createHash } from 'node:crypto';

/** SHA-256 of the seed: published when the drop is created, before any entry exists. */
export function seedCommitment(seed: Buffer): Buffer {
  return createHash('sha256').update(seed).digest();
}

/**
 * Winners of a lottery: entrants ranked by SHA-256(seed ‖ entrant id), lowest first; the first
 * `editions` win. Anyone holding the revealed seed and the entrant list can recompute this.
 */
export function drawWinners(seed: Buffer, entrants: readonly string[], editions: number): string[] {
  return [...new Set(entrants)]
    .map((id) => ({ id, rank: createHash('sha256').update(seed).update(id, 'utf8').digest('hex') }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .slice(0, Math.max(0, editions))
    .map((e) => e.id);
}
