import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { problems } from '#http';
import {
  headDisagreement,
  IntegrityAlerts,
  LedgerWriter,
  ledgerCore,
  ledgerHeadOf,
  ledgerMismatches,
  mismatchFromError,
  readLastMove,
  rowAgreesOrRefuse,
  type LedgerEntry,
  type LedgerMismatch,
  type TokenRowState,
} from '#ledger';

export type OwnershipChange =
  | { type: 'sale' | 'transfer' | 'revert'; to: string; ref?: string }
  | { type: 'freeze' | 'unfreeze' | 'burn'; ref?: string };

export interface TokenOwnership {
  tokenId: string;
  owner: string | null;
  status: 'active' | 'frozen' | 'burned';
}

/** A token row's ownership state, as read under `FOR UPDATE` in the current transaction. */
export interface LockedTokenState {
  owner_id: string | null;
  status: TokenOwnership['status'];
  ledger_seq: number;
  last_event_at: Date;
}

/**
 * The one place a token's owner or status changes: locks the token row, checks the transition
 * against the ledger's table of legal transitions, updates the row and appends the ledger entry —
 * all in the caller's transaction, so ownership and ledger can never disagree.
 *
 * The ledger decides: the row is trusted only where it agrees with the token's own ledger history
 * (owner, status and seq after its last entry). A row changed behind the platform's back is refused
 * with a 409 `ledger-mismatch`, nothing is written, and operators get an integrity alert.
 */
@Injectable()
export class OwnershipService {
  constructor(
    private readonly ledger: LedgerWriter,
    private readonly alerts: IntegrityAlerts,
  ) {}

  /**
   * Applies `change` to the token. A caller that has already locked the token row (`FOR UPDATE`, in
   * this same transaction) may pass what it read as `locked`, to save re-reading it; it must not
   * have changed the row since. Other callers leave it out and the row is locked here.
   */
  async change(
    manager: EntityManager,
    tokenId: string,
    change: OwnershipChange,
    locked?: LockedTokenState,
  ): Promise<TokenOwnership> {
    const token = locked ?? (await lockToken(manager, tokenId));
    if (!token) throw problems.notFound('Token');
    const [changed] = await this.changeLocked(manager, [{ tokenId, change, locked: token }]);
    return changed;
  }

  /**
   * `change` for several distinct tokens, each already locked by the caller as `change` describes,
   * in one statement (rows and ledger entries together). Checks every transition before writing.
   */
  async changeLocked(
    manager: EntityManager,
    changes: readonly { tokenId: string; change: OwnershipChange; locked: LockedTokenState }[],
  ): Promise<TokenOwnership[]> {
    if (new Set(changes.map((change) => change.tokenId)).size !== changes.length)
      throw new Error('one token changed twice in one statement');
    for (const { tokenId, change } of changes)
      if (change.type === 'revert') await assertRevertible(manager, tokenId, change.to);
    const rows = changes.map(({ tokenId, change, locked }) => nextState(tokenId, change, locked));
    // The row updates and their ledger entries go in one statement, which first checks each row
    // against its token's ledger head and raises (writing nothing) if one disagrees.
    try {
      await this.ledger.appendWith(
        manager,
        {
          name: 'minting:change-ownership',
          text: `UPDATE tokens SET owner_id = c.owner, status = c.status, ledger_seq = c.seq, last_event_at = c.at,
                   acquired_at = CASE WHEN c.owner IS DISTINCT FROM owner_id THEN c.at ELSE acquired_at END,
                   price_minor = CASE WHEN c.owner IS DISTINCT FROM owner_id THEN NULL ELSE price_minor END,
                   currency = CASE WHEN c.owner IS DISTINCT FROM owner_id THEN NULL ELSE currency END
                 FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[])
                   AS c(id, owner, status, seq, at)
                 ${ledgerHeadOf('c.id')}
                 WHERE tokens.id = c.id AND ${rowAgreesOrRefuse('tokens', 'c.id')}`,
          values: [
            rows.map((row) => row.ownership.tokenId),
            rows.map((row) => row.ownership.owner),
            rows.map((row) => row.ownership.status),
            rows.map((row) => row.entry.seq),
            rows.map((row) => row.at),
          ],
        },
        rows.map((row) => row.entry),
      );
    } catch (error) {
      const mismatch = mismatchFromError(error);
      if (!mismatch) throw error;
      const change = changes.find((c) => c.tokenId === mismatch.token)?.change;
      throw this.refuse([mismatch], change ? describeChange(change) : 'an ownership change');
    }
    return rows.map((row) => row.ownership);
  }

  /**
   * Refuses (409 `ledger-mismatch`, alerting operators) unless every token row, as the caller read
   * it under `FOR UPDATE` in this transaction, agrees with the token's ledger history. For writes
   * that trust the row without changing ownership, such as listing a token for sale.
   */
  async assertLedgerAgrees(
    manager: EntityManager,
    tokens: readonly { tokenId: string; row: TokenRowState }[],
    action: string,
  ): Promise<void> {
    const mismatches = await ledgerMismatches(manager, tokens);
    if (mismatches.length > 0) throw this.refuse(mismatches, action);
  }

  /**
   * The problem for a refused write, and an integrity alert per token. The alert is logged at once
   * and stored on a pooled connection of its own, not awaited: it must survive this transaction's
   * rollback, and a transaction must never wait for a second connection (the pool could be empty).
   */
  private refuse(mismatches: readonly LedgerMismatch[], action: string) {
    const alerts = mismatches.map(({ token, row, head }) => ({
      kind: 'ledger-mismatch',
      subject: token,
      detail: `Refused ${action}. ${headDisagreement(token, row, head)}`,
    }));
    void this.alerts.raise(...alerts);
    const tokens = mismatches.map((mismatch) => mismatch.token);
    return problems.conflict(
      'ledger-mismatch',
      "This token's ownership records disagree with its ledger, so it cannot be listed or change hands " +
        "until the platform restores them. The platform's operators have been alerted.",
      { tokenId: tokens[0], ...(tokens.length > 1 ? { tokenIds: tokens } : {}) },
    );
  }
}

/** A change, as an alert names it: "sale for order_…", "freeze". */
function describeChange(change: OwnershipChange): string {
  const ref = change.ref ? ` (ref ${change.ref})` : '';
  return 'to' in change ? `a ${change.type} to ${change.to}${ref}` : `a ${change.type}${ref}`;
}

/** The token's state after `change`, and the ledger entry that records it; throws on an illegal one. */
function nextState(
  tokenId: string,
  change: OwnershipChange,
  token: LockedTokenState,
): { ownership: TokenOwnership; entry: LedgerEntry; at: Date } {
  const rule = ledgerCore.TRANSITIONS[change.type];
  if (!rule.requires.includes(token.status)) {
    throw problems.conflict('token-state', `Cannot ${change.type} a token that is ${token.status}`);
  }
  if (token.owner_id === null) throw problems.conflict('token-state', 'The token has no owner');
  // Entry times never go backwards per token, even across processes with skewed clocks.
  const at = new Date(Math.max(Date.now(), token.last_event_at.getTime()));
  const to = 'to' in change ? change.to : null;
  const entry: LedgerEntry = {
    v: 1,
    type: change.type,
    token: tokenId,
    seq: token.ledger_seq + 1,
    from: token.owner_id,
    to,
    at: at.toISOString(),
    ...(change.ref ? { ref: change.ref } : {}),
  };
  const owner = rule.owner === 'to' ? to : rule.owner === 'none' ? null : token.owner_id;
  const status = rule.status === 'unchanged' ? token.status : rule.status;
  return { ownership: { tokenId, owner, status }, entry, at };
}

/**
 * A revert undoes the token's latest sale or transfer and must return it to that move's `from` (the
 * ledger's rule): anything else would be an entry the audit flags, so it is refused before signing.
 */
async function assertRevertible(manager: EntityManager, tokenId: string, to: string): Promise<void> {
  const move = await readLastMove(manager, tokenId);
  if (move && move.type !== 'revert' && move.from === to) return;
  throw problems.conflict(
    'nothing-to-revert',
    'This token has changed hands since, so that move can no longer be reverted on its ledger.',
    { tokenId },
  );
}

async function lockToken(manager: EntityManager, tokenId: string): Promise<LockedTokenState | undefined> {
  const [token]: LockedTokenState[] = await manager.query(
    `SELECT owner_id, status, ledger_seq, last_event_at FROM tokens WHERE id = $1 FOR UPDATE`,
    [tokenId],
  );
  return token;
}
