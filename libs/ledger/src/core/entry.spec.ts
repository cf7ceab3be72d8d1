import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { fromUtf8, toHex, utf8 } from './bytes.js';
import {
  EntryError,
  type LedgerEntry,
  decodeEntry,
  encodeEntry,
  entryLeafHash,
  validateEntry,
} from './entry.js';

// The examples documented in ENCODING.md (leaf hashes cross-checked with Python's hashlib).
const MINT: LedgerEntry = {
  v: 1,
  type: 'mint',
  token: 'tok_7Hq2',
  seq: 0,
  from: null,
  to: 'acct_91xk',
  at: '2025-01-31T12:00:00.000Z',
};
const SALE: LedgerEntry = {
  v: 1,
  type: 'sale',
  token: 'tok_7Hq2',
  seq: 1,
  from: 'acct_91xk',
  to: 'acct_3mPz',
  at: '2025-02-01T09:30:15.250Z',
  ref: 'ord_5521',
};
const MINT_JSON =
  '{"at":"2025-01-31T12:00:00.000Z","from":null,"seq":0,"to":"acct_91xk","token":"tok_7Hq2","type":"mint","v":1}';
const SALE_JSON =
  '{"at":"2025-02-01T09:30:15.250Z","from":"acct_91xk","ref":"ord_5521","seq":1,"to":"acct_3mPz","token":"tok_7Hq2","type":"sale","v":1}';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof EntryError ? error.code : String(error);
  }
}

describe('entry encoding', () => {
  it('encodes the documented examples byte for byte', () => {
    expect(fromUtf8(encodeEntry(MINT))).toBe(MINT_JSON);
    expect(fromUtf8(encodeEntry(SALE))).toBe(SALE_JSON);
    expect(toHex(entryLeafHash(MINT))).toBe(
      '4da22a22ad18479b8a52c4c759a51d528cb384198f5ee6d798a44b983cdb1538',
    );
    expect(toHex(entryLeafHash(SALE))).toBe(
      '21cf9af4b298317a78ffc50d0fd8bea2feb5a31e538c422440938a26d5ce663c',
    );
  });

  it('decodes what it encodes', () => {
    expect(decodeEntry(encodeEntry(MINT))).toEqual(MINT);
    expect(decodeEntry(encodeEntry(SALE))).toEqual(SALE);
  });

  it('drops an explicit undefined ref instead of encoding it', () => {
    expect(fromUtf8(encodeEntry({ ...MINT, ref: undefined }))).toBe(MINT_JSON);
  });

  it.each([
    ['whitespace', MINT_JSON.replace(',', ', ')],
    [
      'key order',
      '{"from":null,"at":"2025-01-31T12:00:00.000Z","seq":0,"to":"acct_91xk","token":"tok_7Hq2","type":"mint","v":1}',
    ],
    ['duplicate key', MINT_JSON.replace('"v":1}', '"v":1,"v":1}')],
    ['escaped character', MINT_JSON.replace('acct_91xk', 'acct\\u005f91xk')],
    ['number spelling', MINT_JSON.replace('"v":1', '"v":1.0')],
  ])('rejects a non-canonical spelling: %s', (_, json) => {
    expect(codeOf(() => decodeEntry(utf8(json)))).toBe('non-canonical');
  });

  it('rejects bytes that are not UTF-8 JSON', () => {
    expect(codeOf(() => decodeEntry(new Uint8Array([0xff, 0x7b])))).toBe('malformed-entry');
    expect(codeOf(() => decodeEntry(utf8('[1]')))).toBe('malformed-entry');
    expect(codeOf(() => decodeEntry(utf8('{"v":1')))).toBe('malformed-entry');
    expect(codeOf(() => decodeEntry(utf8(`\ufeff${MINT_JSON}`)))).toBe('malformed-entry');
  });
});

describe('entry validation', () => {
  const variant = (patch: Record<string, unknown>): unknown => ({ ...MINT, ...patch });

  it.each([
    ['unknown field', variant({ name: 'Alice' }), 'unknown-field'],
    ['wrong version', variant({ v: 2 }), 'invalid-field'],
    ['unknown type', variant({ type: 'gift' }), 'invalid-field'],
    ['e-mail as account', variant({ to: 'alice@example.com' }), 'invalid-field'],
    ['name with spaces as account', variant({ to: 'Alice Smith' }), 'invalid-field'],
    ['empty token', variant({ token: '' }), 'invalid-field'],
    ['mint with from', variant({ from: 'acct_1' }), 'invalid-field'],
    ['mint with seq 1', variant({ seq: 1 }), 'invalid-field'],
    ['fractional seq', variant({ seq: 0.5 }), 'invalid-field'],
    ['null ref', variant({ ref: null }), 'invalid-field'],
    ['free-text ref', variant({ ref: 'refund because Bob complained' }), 'invalid-field'],
    ['timestamp without milliseconds', variant({ at: '2025-01-31T12:00:00Z' }), 'invalid-field'],
    ['timestamp with offset', variant({ at: '2025-01-31T12:00:00.000+01:00' }), 'invalid-field'],
    ['impossible date', variant({ at: '2025-02-30T12:00:00.000Z' }), 'invalid-field'],
    ['month 13', variant({ at: '2025-13-01T12:00:00.000Z' }), 'invalid-field'],
    ['hour 25', variant({ at: '2025-01-31T25:00:00.000Z' }), 'invalid-field'],
    ['sale without ref', { ...SALE, ref: undefined }, 'invalid-field'],
    ['sale to self', { ...SALE, to: SALE.from }, 'invalid-field'],
    ['sale with seq 0', { ...SALE, seq: 0 }, 'invalid-field'],
    ['burn with recipient', { ...SALE, type: 'burn', ref: undefined }, 'invalid-field'],
    ['not an object', 'mint', 'malformed-entry'],
  ])('rejects %s', (_, value, code) => {
    expect(codeOf(() => validateEntry(value))).toBe(code);
  });

  it('names the offending field', () => {
    expect(() => validateEntry(variant({ to: 'alice@example.com' }))).toThrow(/^entry\.to must be an id/);
  });

  it('accepts each event kind with its parties', () => {
    const base = { v: 1, token: 'tok_1', at: '2025-01-01T00:00:00.000Z' };
    for (const entry of [
      { ...base, type: 'transfer', seq: 1, from: 'a', to: 'b' },
      { ...base, type: 'revert', seq: 2, from: 'b', to: 'a', ref: 'refund_1' },
      { ...base, type: 'freeze', seq: 3, from: 'a', to: null, ref: 'dispute_9' },
      { ...base, type: 'unfreeze', seq: 4, from: 'a', to: null },
      { ...base, type: 'burn', seq: 5, from: 'a', to: null },
    ]) {
      expect(validateEntry(entry)).toEqual(entry);
    }
  });

  it('writes exactly what a general RFC 8785 implementation writes', () => {
    const jcs = canonicalize as unknown as (value: unknown) => string;
    const ids = ['a', 'Z9', 'tok_7Hq2', 'acct:9.x-y_z', '0'.repeat(124)];
    for (const type of ['mint', 'transfer', 'sale', 'revert', 'freeze', 'unfreeze', 'burn'] as const) {
      for (const [i, id] of ids.entries()) {
        const seq = type === 'mint' ? 0 : [1, 9, 10, 123456789, Number.MAX_SAFE_INTEGER][i]!;
        const from = type === 'mint' ? null : id;
        const to = ['freeze', 'unfreeze', 'burn'].includes(type) ? null : `${id}-to`;
        const ref = type === 'sale' || type === 'revert' || i % 2 === 1 ? `ref.${id}` : undefined;
        const entry = {
          v: 1,
          type,
          token: id,
          seq,
          from,
          to,
          at: '2025-12-31T23:59:59.999Z',
          ref,
        } as LedgerEntry;
        expect(fromUtf8(encodeEntry(entry))).toBe(jcs(validateEntry(entry)));
      }
    }
  });
});
