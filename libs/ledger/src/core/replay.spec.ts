import { describe, expect, it } from 'vitest';
import { type EntryType, type LedgerEntry, validateEntry } from './entry.js';
import { type TokenState, applyEntry, replayEntries } from './replay.js';

let clock = Date.UTC(2025, 0, 1);
function event(
  type: EntryType,
  seq: number,
  from: string | null,
  to: string | null,
  token = 'tok_1',
): LedgerEntry {
  clock += 60_000;
  const ref = type === 'sale' || type === 'revert' ? `ref_${seq}` : undefined;
  return validateEntry({
    v: 1,
    type,
    token,
    seq,
    from,
    to,
    at: new Date(clock).toISOString(),
    ...(ref ? { ref } : {}),
  });
}

function run(entries: LedgerEntry[]): { state: TokenState | undefined; codes: string[] } {
  let state: TokenState | undefined;
  const codes: string[] = [];
  for (const entry of entries) {
    const result = applyEntry(state, entry);
    state = result.state;
    codes.push(...result.violations.map((violation) => violation.code));
  }
  return { state, codes };
}

describe('applyEntry', () => {
  it('follows a legal life cycle', () => {
    const mint = event('mint', 0, null, 'alice');
    const sale = event('sale', 1, 'alice', 'bob');
    const freeze = event('freeze', 2, 'bob', null);
    const revert = event('revert', 3, 'bob', 'alice'); // refund while frozen for the dispute
    const unfreeze = event('unfreeze', 4, 'alice', null);
    const transfer = event('transfer', 5, 'alice', 'carol');
    const { state, codes } = run([mint, sale, freeze, revert, unfreeze, transfer]);
    expect(codes).toEqual([]);
    expect(state).toEqual({
      token: 'tok_1',
      owner: 'carol',
      status: 'active',
      since: transfer.at,
      seq: 5,
      revertTo: 'alice',
    });
    const burned = applyEntry(state, event('burn', 6, 'carol', null));
    expect(burned.state).toMatchObject({ owner: null, status: 'burned', seq: 6 });
  });

  it.each<[string, LedgerEntry[], string[]]>([
    ['double mint', [event('mint', 0, null, 'a'), event('mint', 0, null, 'b')], ['already-minted']],
    ['transfer before mint', [event('transfer', 1, 'a', 'b')], ['not-minted']],
    ['transfer by a non-owner', [event('mint', 0, null, 'a'), event('transfer', 1, 'b', 'c')], ['not-owner']],
    [
      'transfer of a frozen token',
      [event('mint', 0, null, 'a'), event('freeze', 1, 'a', null), event('transfer', 2, 'a', 'b')],
      ['token-frozen'],
    ],
    [
      'sale of a burned token',
      [event('mint', 0, null, 'a'), event('burn', 1, 'a', null), event('sale', 2, 'a', 'b')],
      ['token-burned'],
    ],
    [
      'unfreeze of an active token',
      [event('mint', 0, null, 'a'), event('unfreeze', 1, 'a', null)],
      ['not-frozen'],
    ],
    [
      'freeze of a frozen token',
      [event('mint', 0, null, 'a'), event('freeze', 1, 'a', null), event('freeze', 2, 'a', null)],
      ['token-frozen'],
    ],
    ['seq gap', [event('mint', 0, null, 'a'), event('transfer', 2, 'a', 'b')], ['seq-gap']],
    [
      'replayed seq',
      [event('mint', 0, null, 'a'), event('transfer', 1, 'a', 'b'), event('transfer', 1, 'b', 'a')],
      ['seq-gap'],
    ],
    [
      'revert with nothing to revert',
      [event('mint', 0, null, 'a'), event('revert', 1, 'a', 'b')],
      ['nothing-to-revert'],
    ],
    [
      'revert to the wrong account',
      [event('mint', 0, null, 'a'), event('sale', 1, 'a', 'b'), event('revert', 2, 'b', 'c')],
      ['nothing-to-revert'],
    ],
    [
      'double revert',
      [
        event('mint', 0, null, 'a'),
        event('sale', 1, 'a', 'b'),
        event('revert', 2, 'b', 'a'),
        event('revert', 3, 'a', 'b'),
      ],
      ['nothing-to-revert'],
    ],
  ])('reports %s', (_, entries, codes) => {
    expect(run(entries).codes).toEqual(codes);
  });

  it('reports time running backwards and leaves the state untouched', () => {
    const mint = event('mint', 0, null, 'a');
    const earlier = { ...event('transfer', 1, 'a', 'b'), at: '2024-12-31T00:00:00.000Z' };
    const minted = applyEntry(undefined, mint).state;
    const result = applyEntry(minted, earlier);
    expect(result.violations.map((violation) => violation.code)).toEqual(['time-reversed']);
    expect(result.state).toBe(minted);
  });

  it('reports every problem of one entry', () => {
    const minted = applyEntry(undefined, event('mint', 0, null, 'a')).state;
    const codes = applyEntry(minted, event('unfreeze', 5, 'z', null)).violations.map(
      (violation) => violation.code,
    );
    expect(codes).toEqual(['seq-gap', 'not-frozen', 'not-owner']);
  });
});

describe('replayEntries', () => {
  it('keeps tokens apart and locates violations by log index', () => {
    const log = [
      event('mint', 0, null, 'a', 'tok_1'),
      event('mint', 0, null, 'b', 'tok_2'),
      event('sale', 1, 'a', 'c', 'tok_1'),
      event('transfer', 1, 'a', 'd', 'tok_2'), // a does not own tok_2
      event('transfer', 1, 'b', 'd', 'tok_2'),
    ].map((entry, index) => ({ index, entry }));
    const { tokens, violations } = replayEntries(log);
    expect(tokens.get('tok_1')?.owner).toBe('c');
    expect(tokens.get('tok_2')?.owner).toBe('d');
    expect(violations.map(({ index, code }) => [index, code])).toEqual([[3, 'not-owner']]);
    expect(violations[0]!.message).toBe('transfer #1 of tok_2: from a is not the owner b');
  });
});
