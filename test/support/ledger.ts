import type { LedgerEntry } from '../../libs/ledger/src/core/index.js';

/** The mint entry of token `tok-<n>`, for tests that write the ledger directly. */
export function mintEntry(n: number): LedgerEntry {
  return {
    v: 1,
    type: 'mint',
    token: `tok-${n}`,
    seq: 0,
    from: null,
    to: 'acct-1',
    at: '2026-01-01T00:00:00.000Z',
  };
}

/** Hashes as hex strings, so proofs compare readably. */
export function hexes(hashes: readonly Uint8Array[]): string[] {
  return hashes.map((hash) => Buffer.from(hash).toString('hex'));
}
