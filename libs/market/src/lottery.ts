import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 of the seed: published when the drop is created, before any entry exists. */
export function seedCommitment(seed: Buffer): Buffer {
  return createHash('sha256').update(seed).digest();
}

/**
 * A fresh lottery ticket (16 random bytes). The draw runs over tickets rather than account ids, so
 * its inputs can be published: a random ticket cannot be linked to an account, a hashed id could.
 */
export function newTicket(): Buffer {
  return randomBytes(16);
}

/**
 * Winning tickets of a lottery, best first: tickets (hex) ranked by SHA-256(seed ‖ ticket bytes),
 * lowest first; the first `editions` win. Anyone holding the revealed seed and the published
 * tickets can recompute this.
 */
export function drawWinners(seed: Buffer, tickets: readonly string[], editions: number): string[] {
  return [...new Set(tickets)]
    .map((ticket) => ({
      ticket,
      rank: createHash('sha256').update(seed).update(Buffer.from(ticket, 'hex')).digest('hex'),
    }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .slice(0, Math.max(0, editions))
    .map((entry) => entry.ticket);
}
