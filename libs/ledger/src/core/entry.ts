/**
 * Ledger entries: one ownership event each, encoded as RFC 8785 (JCS) canonical JSON in UTF-8.
 *
 * Encoding (see ENCODING.md):
 *   {"at":"2025-01-31T12:00:00.000Z","from":null,"seq":0,"to":"acct_1","token":"tok_1","type":"mint","v":1}
 * - keys sorted by UTF-16 code units, no whitespace, only the fields below (no extras, ever);
 * - `ref` is omitted when absent, never null; `from`/`to` are explicit nulls where they do not apply;
 * - the leaf hash is SHA-256(0x00 ‖ these bytes); decodeEntry rejects any other spelling.
 * Entries hold pseudonymous ids only (no names, e-mails, amounts): they can never be erased.
 */
import { bytesEqual, fromUtf8, utf8 } from './bytes.js';
import { LedgerCoreError } from './errors.js';
import { leafHash } from './hasher.js';

export const ENTRY_TYPES = ['mint', 'transfer', 'sale', 'revert', 'freeze', 'unfreeze', 'burn'] as const;

/** What happened to the token. */
export type EntryType = (typeof ENTRY_TYPES)[number];

/** One ownership event, exactly as it is hashed into the log. */
export interface LedgerEntry {
  /** Encoding version; bump only with a new decoder beside the old one. */
  readonly v: 1;
  readonly type: EntryType;
  /** Token (edition) id. */
  readonly token: string;
  /** Per-token sequence: 0 for the mint, then +1 per event, so gaps in a history are detectable. */
  readonly seq: number;
  /** Pseudonymous account giving up the token (or holding it, for freeze/unfreeze/burn); null for mint. */
  readonly from: string | null;
  /** Pseudonymous account receiving the token; null for freeze/unfreeze/burn. */
  readonly to: string | null;
  /** When the event took effect: UTC, millisecond precision, exactly as Date#toISOString prints it. */
  readonly at: string;
  /** Opaque id of the order, refund or reason record behind the event (never free text). */
  readonly ref?: string;
}

export type EntryErrorCode = 'malformed-entry' | 'unknown-field' | 'invalid-field' | 'non-canonical';

/** An entry failed validation or decoding; the message names the field. */
export class EntryError extends LedgerCoreError<EntryErrorCode> {}

/** Pseudonymous ids: letters, digits and . _ : - only, so e-mail addresses or names with spaces cannot slip in. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** The last timestamp found valid: a batch of entries usually shares one, and parsing it is most of validation. */
let lastValidTimestamp = '';

/** A real UTC instant, spelled exactly as Date#toISOString spells it. */
function isTimestamp(at: string): boolean {
  if (at === lastValidTimestamp) return true;
  if (!TIMESTAMP_PATTERN.test(at)) return false;
  const time = Date.parse(at); // NaN for a day or hour that does not exist
  if (Number.isNaN(time) || new Date(time).toISOString() !== at) return false;
  lastValidTimestamp = at;
  return true;
}
const FIELDS = new Set(['v', 'type', 'token', 'seq', 'from', 'to', 'at', 'ref']);

interface PartyRule {
  from: 'account' | 'null';
  to: 'account' | 'null';
  refRequired: boolean;
}

/** Who may appear on each kind of event; stateful rules (is `from` the owner?) live in replay.ts. */
const PARTY_RULES: Record<EntryType, PartyRule> = {
  mint: { from: 'null', to: 'account', refRequired: false },
  transfer: { from: 'account', to: 'account', refRequired: false },
  sale: { from: 'account', to: 'account', refRequired: true },
  revert: { from: 'account', to: 'account', refRequired: true },
  freeze: { from: 'account', to: 'null', refRequired: false },
  unfreeze: { from: 'account', to: 'null', refRequired: false },
  burn: { from: 'account', to: 'null', refRequired: false },
};

function invalid(field: string, why: string): never {
  throw new EntryError('invalid-field', `entry.${field} ${why}`);
}

function checkId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value))
    invalid(field, `must be an id matching ${ID_PATTERN}`);
  return value;
}

function checkParty(
  field: 'from' | 'to',
  value: unknown,
  rule: 'account' | 'null',
  type: EntryType,
): string | null {
  if (rule === 'null') {
    if (value !== null) invalid(field, `must be null for ${type}`);
    return null;
  }
  return checkId(field, value);
}

/** Validates an untrusted value and returns a clean LedgerEntry (only known fields); throws EntryError. */
export function validateEntry(value: unknown): LedgerEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EntryError('malformed-entry', 'entry must be a JSON object');
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0)
    throw new EntryError('unknown-field', `entry has unknown field(s): ${unknown.join(', ')}`);
  if (record.v !== 1) invalid('v', 'must be 1');
  const type = record.type as EntryType;
  if (!ENTRY_TYPES.includes(type)) invalid('type', `must be one of ${ENTRY_TYPES.join(', ')}`);
  const rule = PARTY_RULES[type];
  const token = checkId('token', record.token);
  const seq = record.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
    invalid('seq', 'must be a non-negative integer');
  if ((type === 'mint') !== (seq === 0))
    invalid('seq', type === 'mint' ? 'must be 0 for mint' : 'must be > 0');
  const from = checkParty('from', record.from, rule.from, type);
  const to = checkParty('to', record.to, rule.to, type);
  if (from !== null && from === to) invalid('to', 'must differ from entry.from');
  const at = record.at;
  if (typeof at !== 'string' || !isTimestamp(at)) {
    invalid('at', 'must be a UTC timestamp like 2025-01-31T12:00:00.000Z');
  }
  if (record.ref === undefined && rule.refRequired) invalid('ref', `is required for ${type}`);
  const ref = record.ref === undefined ? undefined : checkId('ref', record.ref);
  const entry: LedgerEntry = { v: 1, type, token, seq, from, to, at };
  return ref === undefined ? entry : { ...entry, ref };
}

/** RFC 8785 canonical JSON of a validated entry, as UTF-8 bytes: the exact leaf data of the log. */
export function encodeEntry(entry: LedgerEntry): Uint8Array {
  return utf8(encodeEntryText(entry));
}

/** The same encoding as text (entries are ASCII: ids, timestamps and integers only). */
export function encodeEntryText(entry: LedgerEntry): string {
  return canonicalJson(validateEntry(entry));
}

/**
 * RFC 8785 for the one shape a validated entry has, written out: members in code-unit order (at,
 * from, ref, seq, to, token, type, v), ids and timestamps from an alphabet JSON never escapes,
 * integers in plain decimal. The spec checks it against a general RFC 8785 implementation; written
 * out, it is several times faster, and every ownership change encodes an entry.
 */
function canonicalJson(entry: LedgerEntry): string {
  const party = (id: string | null) => (id === null ? 'null' : `"${id}"`);
  const ref = entry.ref === undefined ? '' : `"ref":"${entry.ref}",`;
  return (
    `{"at":"${entry.at}","from":${party(entry.from)},${ref}"seq":${entry.seq},` +
    `"to":${party(entry.to)},"token":"${entry.token}","type":"${entry.type}","v":1}`
  );
}

/** Parses leaf bytes back into an entry, rejecting invalid shapes and any non-canonical spelling. */
export function decodeEntry(bytes: Uint8Array): LedgerEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new EntryError('malformed-entry', 'entry bytes are not UTF-8 JSON');
  }
  const entry = validateEntry(parsed);
  if (!bytesEqual(encodeEntry(entry), bytes)) {
    throw new EntryError('non-canonical', 'entry bytes are not in RFC 8785 canonical form');
  }
  return entry;
}

/** Leaf hash of an entry: SHA-256(0x00 ‖ encodeEntry(entry)). */
export function entryLeafHash(entry: LedgerEntry): Uint8Array {
  return leafHash(encodeEntry(entry));
}
