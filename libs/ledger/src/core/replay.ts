/**
 * Pure state machine over ledger entries: recomputes each token's owner and status from the log
 * alone. Used by audit replay (whole log) and certificate verification (one token's history).
 * Every allowed transition is listed in TRANSITIONS; anything else is reported as a violation.
 */
import type { EntryType, LedgerEntry } from './entry.js';

export type TokenStatus = 'active' | 'frozen' | 'burned';

/** A token's state after replaying its history. */
export interface TokenState {
  readonly token: string;
  /** Current holder; null once burned. */
  readonly owner: string | null;
  readonly status: TokenStatus;
  /** `at` of the latest applied entry: when the current owner/status took effect. */
  readonly since: string;
  /** `seq` of the latest applied entry. */
  readonly seq: number;
  /** Holder before the latest sale/transfer, which a revert may restore; null when nothing is revertible. */
  readonly revertTo: string | null;
}

export type ViolationCode =
  | 'token-mismatch'
  | 'already-minted'
  | 'not-minted'
  | 'seq-gap'
  | 'time-reversed'
  | 'not-owner'
  | 'token-burned'
  | 'token-frozen'
  | 'not-frozen'
  | 'nothing-to-revert';

/** Why an entry is illegal in the state it was applied to. */
export interface Violation {
  readonly code: ViolationCode;
  readonly token: string;
  readonly seq: number;
  readonly message: string;
}

/** Outcome of one entry: the new state (unchanged if there are violations) and what was wrong. */
export interface ApplyResult {
  readonly state: TokenState | undefined;
  readonly violations: Violation[];
}

interface Transition {
  /** Statuses the token must be in (mint alone requires the token to be absent). */
  readonly requires: readonly TokenStatus[];
  readonly status: TokenStatus | 'unchanged';
  readonly owner: 'to' | 'unchanged' | 'none';
}

/** The one list of legal transitions. `from` must always be the current owner (mint has no owner yet). */
export const TRANSITIONS: Readonly<Record<Exclude<EntryType, 'mint'>, Transition>> = {
  transfer: { requires: ['active'], status: 'unchanged', owner: 'to' },
  sale: { requires: ['active'], status: 'unchanged', owner: 'to' },
  // An operator correction (refund, chargeback) may land while the token is frozen for the dispute.
  revert: { requires: ['active', 'frozen'], status: 'unchanged', owner: 'to' },
  freeze: { requires: ['active'], status: 'frozen', owner: 'unchanged' },
  unfreeze: { requires: ['frozen'], status: 'active', owner: 'unchanged' },
  burn: { requires: ['active'], status: 'burned', owner: 'none' },
};

function violation(entry: LedgerEntry, code: ViolationCode, message: string): Violation {
  return {
    code,
    token: entry.token,
    seq: entry.seq,
    message: `${entry.type} #${entry.seq} of ${entry.token}: ${message}`,
  };
}

function statusViolation(entry: LedgerEntry, state: TokenState): Violation {
  if (state.status === 'burned') return violation(entry, 'token-burned', 'token is burned');
  if (state.status === 'frozen') return violation(entry, 'token-frozen', 'token is frozen');
  return violation(entry, 'not-frozen', 'token is not frozen');
}

/** Applies one entry to a token's state (undefined = never minted). Illegal entries leave the state as it was. */
export function applyEntry(state: TokenState | undefined, entry: LedgerEntry): ApplyResult {
  if (entry.type === 'mint') {
    if (state !== undefined) {
      return { state, violations: [violation(entry, 'already-minted', 'token was already minted')] };
    }
    const minted: TokenState = {
      token: entry.token,
      owner: entry.to,
      status: 'active',
      since: entry.at,
      seq: 0,
      revertTo: null,
    };
    return { state: minted, violations: [] };
  }
  if (state === undefined)
    return { state, violations: [violation(entry, 'not-minted', 'token was never minted')] };

  const rule = TRANSITIONS[entry.type];
  const violations: Violation[] = [];
  if (state.token !== entry.token) {
    violations.push(violation(entry, 'token-mismatch', `applied to the state of ${state.token}`));
  }
  if (entry.seq !== state.seq + 1) {
    violations.push(violation(entry, 'seq-gap', `expected seq ${state.seq + 1} after ${state.seq}`));
  }
  if (entry.at < state.since) {
    violations.push(
      violation(entry, 'time-reversed', `at ${entry.at} is before the previous event at ${state.since}`),
    );
  }
  if (!rule.requires.includes(state.status)) violations.push(statusViolation(entry, state));
  if (state.owner !== null && entry.from !== state.owner) {
    violations.push(violation(entry, 'not-owner', `from ${entry.from} is not the owner ${state.owner}`));
  }
  if (entry.type === 'revert' && (state.revertTo === null || entry.to !== state.revertTo)) {
    const expected =
      state.revertTo === null ? 'nothing is revertible' : `a revert must return it to ${state.revertTo}`;
    violations.push(violation(entry, 'nothing-to-revert', expected));
  }
  if (violations.length > 0) return { state, violations };

  const next: TokenState = {
    token: state.token,
    owner: rule.owner === 'to' ? entry.to : rule.owner === 'none' ? null : state.owner,
    status: rule.status === 'unchanged' ? state.status : rule.status,
    since: entry.at,
    seq: entry.seq,
    // Only the latest sale/transfer can be reverted, and only once.
    revertTo:
      entry.type === 'sale' || entry.type === 'transfer'
        ? state.owner
        : entry.type === 'revert'
          ? null
          : state.revertTo,
  };
  return { state: next, violations: [] };
}

/** A violation located in the log. */
export interface LogViolation extends Violation {
  readonly index: number;
}

/** Replays entries (in log order) into per-token states, collecting every violation with its log index. */
export function replayEntries(entries: Iterable<{ readonly index: number; readonly entry: LedgerEntry }>): {
  tokens: Map<string, TokenState>;
  violations: LogViolation[];
} {
  const tokens = new Map<string, TokenState>();
  const violations: LogViolation[] = [];
  for (const { index, entry } of entries) {
    const result = applyEntry(tokens.get(entry.token), entry);
    if (result.state !== undefined) tokens.set(entry.token, result.state);
    for (const found of result.violations) violations.push({ ...found, index });
  }
  return { tokens, violations };
}
