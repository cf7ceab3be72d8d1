import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { inTransaction, isUniqueViolation } from '#database';
import { keysetPage, microsSql, parseTimeIdCursor, problems, timeIdCursor, timeOfMicrosSql } from '#http';
import type { Principal } from '#identity';
import { notify } from '#notifications';
import { recordOperatorAction } from '#operator-trail';
import { assertNoOpenDispute, TokenActionsService } from './token-actions.service.js';

export const APPEAL_STATUSES = ['open', 'upheld', 'lifted'] as const;
export type AppealStatus = (typeof APPEAL_STATUSES)[number];
export const APPEAL_DECISIONS = ['uphold', 'lift'] as const;
export type AppealDecision = (typeof APPEAL_DECISIONS)[number];

interface AppealRow {
  id: string;
  token_id: string;
  owner_id: string;
  owner_handle: string;
  message: string;
  status: AppealStatus;
  created_at: Date;
  decided_at: Date | null;
  decision_reason: string | null;
  decision_ref: string | null;
  micros: string;
}

const APPEAL_COLUMNS = `p.id, p.token_id, p.owner_id, a.handle AS owner_handle, p.message, p.status,
  p.created_at, p.decided_at, p.decision_reason, p.decision_ref, ${microsSql('p.created_at')} AS micros`;

/**
 * Appeals of a freeze: the owner of a frozen token asks for it to be unfrozen, once at a time per
 * token; an operator upholds the freeze or lifts it (which unfreezes the token on the ledger), with
 * a reason recorded in the operator trail. The owner is notified of the decision.
 */
@Injectable()
export class AppealsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenActionsService,
  ) {}

  async appeal(principal: Principal, tokenId: string, message: string) {
    return inTransaction(this.dataSource, async (manager) => {
      const [token]: { owner_id: string | null; status: string }[] = await manager.query(
        `SELECT owner_id, status FROM tokens WHERE id = $1`,
        [tokenId],
      );
      if (!token) throw problems.notFound('Token');
      if (token.owner_id !== principal.accountId)
        throw problems.forbidden('Only the token’s owner can appeal its freeze');
      if (token.status !== 'frozen')
        throw problems.conflict('not-frozen', 'This token is not frozen, so there is nothing to appeal');
      await assertNoOpenDispute(manager, tokenId);
      try {
        const [row]: { id: string }[] = await manager.query(
          `INSERT INTO freeze_appeals (token_id, owner_id, message) VALUES ($1, $2, $3) RETURNING id`,
          [tokenId, principal.accountId, message.trim()],
        );
        return this.view(manager, row.id);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw problems.conflict('appeal-open', 'An appeal of this freeze is already waiting for a decision');
      }
    });
  }

  /** The caller's appeals, newest first. */
  async mine(accountId: string, query: { limit?: number; cursor?: string }) {
    return this.page(`p.owner_id = $1`, [accountId], query);
  }

  /** Appeals for operators and auditors: by status (open ones oldest first, to answer in turn). */
  async list(query: { status?: AppealStatus; limit?: number; cursor?: string }) {
    return this.page(`p.status = $1`, [query.status ?? 'open'], query);
  }

  async decide(principal: Principal, appealId: string, decision: AppealDecision, reason: string) {
    return inTransaction(this.dataSource, async (manager) => {
      const [appeal]: { token_id: string; owner_id: string; status: AppealStatus }[] = await manager.query(
        `SELECT token_id, owner_id, status FROM freeze_appeals WHERE id = $1 FOR UPDATE`,
        [appealId],
      );
      if (!appeal) throw problems.notFound('Appeal');
      if (appeal.status !== 'open')
        throw problems.conflict('appeal-decided', `This appeal was already decided: ${appeal.status}`);
      const ref =
        decision === 'lift'
          ? (await this.tokens.actIn(manager, principal, appeal.token_id, 'unfreeze', reason, 'appeal.lift'))
              .actionRef
          : await recordOperatorAction(manager, {
              actorId: principal.accountId,
              action: 'appeal.uphold',
              subject: { kind: 'token', id: appeal.token_id },
              reason,
            });
      const status: AppealStatus = decision === 'lift' ? 'lifted' : 'upheld';
      await manager.query(
        `UPDATE freeze_appeals SET status = $2, decided_at = now(), decided_by = $3, decision_reason = $4,
           decision_ref = $5 WHERE id = $1`,
        [appealId, status, principal.accountId, reason.trim(), ref],
      );
      await notify(manager, [
        {
          accountId: appeal.owner_id,
          kind: 'appeal.decided',
          subject: { kind: 'appeal', id: appealId },
          data: { appealId, tokenId: appeal.token_id, decision: status, reason: reason.trim() },
        },
      ]);
      return this.view(manager, appealId);
    });
  }

  private async view(manager: EntityManager, appealId: string) {
    const [row]: AppealRow[] = await manager.query(
      `SELECT ${APPEAL_COLUMNS} FROM freeze_appeals p JOIN accounts a ON a.id = p.owner_id WHERE p.id = $1`,
      [appealId],
    );
    return appealView(row);
  }

  private async page(where: string, values: unknown[], query: { limit?: number; cursor?: string }) {
    const limit = query.limit ?? 50;
    const [micros, id] = parseTimeIdCursor(query.cursor);
    // Open appeals are answered oldest first; every other list reads newest first.
    const oldestFirst = values[0] === 'open';
    const [cmp, dir] = oldestFirst ? ['>', 'ASC'] : ['<', 'DESC'];
    const rows: AppealRow[] = await this.dataSource.query(
      `SELECT ${APPEAL_COLUMNS} FROM freeze_appeals p JOIN accounts a ON a.id = p.owner_id
       WHERE ${where} AND ($2::bigint IS NULL OR (p.created_at, p.id) ${cmp} (${timeOfMicrosSql('$2')}, $3::uuid))
       ORDER BY p.created_at ${dir}, p.id ${dir} LIMIT $4`,
      [...values, micros, id, limit + 1],
    );
    return keysetPage(rows, limit, appealView, (last) => timeIdCursor(last.micros, last.id));
  }
}

function appealView(row: AppealRow) {
  return {
    id: row.id,
    tokenId: row.token_id,
    ownerHandle: row.owner_handle,
    message: row.message,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
    decisionReason: row.decision_reason,
    decisionRef: row.decision_ref,
  };
}
