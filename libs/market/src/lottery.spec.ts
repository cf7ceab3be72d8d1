import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drawWinners, newTicket, seedCommitment } from './lottery.js';

describe('lottery', () => {
  const tickets = Array.from({ length: 50 }, () => newTicket().toString('hex'));

  it('is deterministic for a seed and independent of entry order', () => {
    const seed = randomBytes(32);
    const winners = drawWinners(seed, tickets, 10);
    expect(winners).toHaveLength(10);
    expect(drawWinners(seed, [...tickets].reverse(), 10)).toEqual(winners);
    expect(new Set(winners).size).toBe(10);
  });

  it('changes with the seed and never exceeds the tickets', () => {
    expect(drawWinners(randomBytes(32), tickets, 10)).not.toEqual(drawWinners(randomBytes(32), tickets, 10));
    expect(drawWinners(randomBytes(32), ['0a', '0a', '0b'], 10)).toHaveLength(2);
  });

  it('ranks by SHA-256 of the seed followed by the ticket bytes, lowest first', () => {
    const seed = Buffer.from('seed');
    const rank = (ticket: string) =>
      createHash('sha256')
        .update(Buffer.concat([seed, Buffer.from(ticket, 'hex')]))
        .digest('hex');
    const expected = [...tickets].sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
    expect(drawWinners(seed, tickets, tickets.length)).toEqual(expected);
  });

  it('gives each entry 16 fresh random bytes', () => {
    expect(newTicket()).toHaveLength(16);
    expect(new Set(tickets).size).toBe(tickets.length);
  });

  it('commits to the seed with SHA-256 (known vector)', () => {
    expect(seedCommitment(Buffer.from('abc')).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
