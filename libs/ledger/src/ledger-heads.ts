/**
 * A token's state as its own ledger history says it is now: the owner and status after its last
 * entry, and that entry's seq. Read from every stored entry of the token, integrated or not yet (an
 * entry is written in its ownership change's transaction and gets its log index later), so it can be
 * checked, in that same transaction, against the token row an ownership change is about to trust.
 */
import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
import { ENTRY_TYPES, TRANSITIONS, type EntryType, type TokenStatus } from './core/index.js';

/** What the ledger says a token is after its last entry; `seq` is null when it has no entry at all. */
export interface LedgerHead {
  seq: number | null;
  owner: string | null;
  status: TokenStatus | null;
}

/** The ownership columns of a token row. */
export interface TokenRowState {
  owner_id: string | null;
  status: string;
  ledger_seq: number;
}

const quoted = (text: string) => `'${text}'`;

/** The owner after an entry of each type (from TRANSITIONS): its `to`, its `from` (the owner), or none. */
const OWNER_AFTER = ENTRY_TYPES.map((type) => {
  const owner = type === 'mint' ? 'to' : TRANSITIONS[type].owner;
  return `WHEN ${quoted(type)} THEN ${owner === 'to' ? 'h.entry_to' : owner === 'unchanged' ? 'h.entry_from' : 'NULL'}`;
}).join(' ');

/** Entry types that set the status (a revert keeps whatever the status was), and the status they set. */
const STATUS_SETTERS = ENTRY_TYPES.flatMap((type): [EntryType, TokenStatus][] => {
  const status = type === 'mint' ? 'active' : TRANSITIONS[type].status;
  return status === 'unchanged' ? [] : [[type, status]];
});
const STATUS_AFTER = STATUS_SETTERS.map(
  ([type, status]) => `WHEN ${quoted(type)} THEN ${quoted(status)}`,
).join(' ');

/**
 * SQL: a lateral subquery giving the ledger head of the token whose id is the SQL expression
 * `tokenId`, as columns head_seq, head_owner, head_status (all null when the token has no entry).
 * It reads the token's entries through the token index (a handful per token: each is a sale,
 * transfer, refund or dispute step); the owner is the last entry's, the status the last
 * status-setting entry's.
 */
export function ledgerHeadOf(tokenId: string): string {
  // The newest entry wins by (seq, tx, id): max() over arrays ordered that way picks it without a
  // sort per token (an ordered aggregate would sort each token's handful of entries). The entry's
  // seq, type, from and to are the columns the database derives from its bytes (no JSON parsing).
  const order = `lpad(h.entry_seq::text, 10, '0'), lpad(h.tx::text, 20, '0'), lpad(h.id::text, 20, '0')`;
  return `CROSS JOIN LATERAL (
    SELECT max(h.entry_seq) AS head_seq,
      (max(ARRAY[${order}, CASE h.entry_type ${OWNER_AFTER} END]))[4] AS head_owner,
      (max(ARRAY[${order}, CASE h.entry_type ${STATUS_AFTER} END])
        FILTER (WHERE h.entry_type IN (${STATUS_SETTERS.map(([type]) => quoted(type)).join(', ')})))[4] AS head_status
    FROM ledger_entries h
    WHERE h.token_id = ${tokenId}
  ) head`;
}

/** SQLSTATE of `ledger_refuse_mismatch`: a token row disagrees with its ledger head. */
export const LEDGER_MISMATCH_SQLSTATE = 'HL409';

/**
 * SQL condition for a statement that changes the token row aliased `row` (columns owner_id, status,
 * ledger_seq), beside `ledgerHeadOf(tokenId)`: true when the row agrees with the ledger head,
 * otherwise it raises LEDGER_MISMATCH_SQLSTATE (what both say as JSON in the error's detail, see
 * `mismatchFromError`), so the statement — and its transaction — fails.
 */
export function rowAgreesOrRefuse(row: string, tokenId: string): string {
  return `CASE WHEN ${row}.owner_id::text IS NOT DISTINCT FROM head.head_owner AND ${row}.status = head.head_status
      AND ${row}.ledger_seq = head.head_seq THEN true
    ELSE ledger_refuse_mismatch(${tokenId}, ${row}.owner_id::text, ${row}.status, ${row}.ledger_seq,
      head.head_owner, head.head_status, head.head_seq) END`;
}

/** A token row found disagreeing with its ledger head. */
export interface LedgerMismatch {
  token: string;
  row: TokenRowState;
  head: LedgerHead;
}

/** The mismatch a `rowAgreesOrRefuse` statement raised, if that is what `error` is. */
export function mismatchFromError(error: unknown): LedgerMismatch | undefined {
  const driverError = (error as { driverError?: unknown } | null)?.driverError ?? error;
  const { code, detail } = (driverError ?? {}) as { code?: string; detail?: string };
  if (code !== LEDGER_MISMATCH_SQLSTATE || !detail) return undefined;
  return JSON.parse(detail) as LedgerMismatch;
}

/** The ledger heads of `tokenIds` (one statement), by token id. */
export async function readLedgerHeads(
  manager: EntityManager,
  tokenIds: readonly string[],
): Promise<Map<string, LedgerHead>> {
  const rows: {
    token: string;
    head_seq: number | null;
    head_owner: string | null;
    head_status: TokenStatus | null;
  }[] = await preparedQuery(
    manager,
    'ledger:read-heads',
    `SELECT t.token, head.head_seq, head.head_owner, head.head_status
       FROM unnest($1::text[]) AS t(token) ${ledgerHeadOf('t.token')}`,
    [tokenIds],
  );
  return new Map(
    rows.map((row) => [row.token, { seq: row.head_seq, owner: row.head_owner, status: row.head_status }]),
  );
}

/** Why the token row disagrees with its ledger head, in a sentence for operators; undefined if it agrees. */
export function headDisagreement(tokenId: string, row: TokenRowState, head: LedgerHead): string | undefined {
  if (head.seq === null) return `Token ${tokenId} has no ledger entry, not even its mint`;
  if (row.owner_id === head.owner && row.status === head.status && row.ledger_seq === head.seq)
    return undefined;
  return (
    `Token ${tokenId}: the token row says owner ${row.owner_id ?? 'none'}, ${row.status}, ledger seq ` +
    `${row.ledger_seq}; its ledger history says owner ${head.owner ?? 'none'}, ${head.status}, seq ${head.seq}. ` +
    'The row was changed outside the platform: restore it from the ledger before this token can change hands.'
  );
}

/** The tokens whose row disagrees with their ledger head, read in one statement. */
export async function ledgerMismatches(
  manager: EntityManager,
  tokens: readonly { tokenId: string; row: TokenRowState }[],
): Promise<LedgerMismatch[]> {
  if (tokens.length === 0) return [];
  const heads = await readLedgerHeads(
    manager,
    tokens.map((token) => token.tokenId),
  );
  return tokens.flatMap(({ tokenId, row }) => {
    const head = heads.get(tokenId) ?? { seq: null, owner: null, status: null };
    return headDisagreement(tokenId, row, head) === undefined ? [] : [{ token: tokenId, row, head }];
  });
}

/** A token's latest change of hands on its ledger: a sale, transfer or revert entry. */
export interface LastMove {
  type: 'sale' | 'transfer' | 'revert';
  from: string;
  ref: string | null;
}

/**
 * The token's latest sale, transfer or revert entry, integrated or not yet; undefined if it never
 * changed hands. Only that move can be reverted (the ledger's rule), and only to its `from`.
 */
export async function readLastMove(manager: EntityManager, tokenId: string): Promise<LastMove | undefined> {
  const [move]: LastMove[] = await preparedQuery(
    manager,
    'ledger:read-last-move',
    `SELECT entry_type AS type, entry_from AS from, convert_from(entry, 'UTF8')::jsonb->>'ref' AS ref
       FROM ledger_entries
      WHERE token_id = $1 AND entry_type IN ('sale', 'transfer', 'revert')
      ORDER BY entry_seq DESC, tx DESC, id DESC LIMIT 1`,
    [tokenId],
  );
  return move;
}
