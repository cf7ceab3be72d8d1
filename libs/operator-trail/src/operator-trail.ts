import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { keysetPage } from '#http';

/** What an operator did, to what, and why: one row of the append-only trail auditors read. */
export interface OperatorAction {
  actorId: string;
  action: OperatorActionKind;
  subject: { kind: OperatorSubjectKind; id: string };
  reason: string;
}

/** Every kind of act recorded; a lib that adds an operator act adds its kind here. */
export const OPERATOR_ACTIONS = [
  'token.freeze',
  'token.unfreeze',
  'token.burn',
  'creator.approve',
  'creator.reject',
  'account.freeze',
  'account.unfreeze',
  'order.refund',
  'appeal.uphold',
  'appeal.lift',
  'policy.set',
  'payout.run',
] as const;
export type OperatorActionKind = (typeof OPERATOR_ACTIONS)[number];

export const OPERATOR_SUBJECT_KINDS = ['token', 'account', 'order', 'platform'] as const;
export type OperatorSubjectKind = (typeof OPERATOR_SUBJECT_KINDS)[number];

/**
 * Records an operator action in the caller's transaction, so the trail holds exactly the acts that
 * took effect. Answers the action's ref (`act_<id>`), which the ledger entry it causes carries.
 */
export async function recordOperatorAction(manager: EntityManager, action: OperatorAction): Promise<string> {
  const [row]: { id: string }[] = await manager.query(
    `INSERT INTO operator_actions (actor_id, action, subject_kind, subject_id, reason)
     VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [action.actorId, action.action, action.subject.kind, action.subject.id, action.reason.trim()],
  );
  return actionRef(row.id);
}

/** The ledger ref of an operator action. */
export function actionRef(id: string | number): string {
  return `act_${id}`;
}

interface ActionRow {
  id: string;
  actor_id: string;
  actor_handle: string;
  action: string;
  subject_kind: string;
  subject_id: string;
  reason: string;
  at: Date;
}

/** The operator action trail, newest first, for operators and auditors. */
@Injectable()
export class OperatorTrail {
  constructor(private readonly dataSource: DataSource) {}

  async list(query: { action?: string; subject?: string; limit?: number; cursor?: string }) {
    const limit = query.limit ?? 50;
    const rows: ActionRow[] = await this.dataSource.query(
      `SELECT o.id, o.actor_id, a.handle AS actor_handle, o.action, o.subject_kind, o.subject_id, o.reason, o.at
       FROM operator_actions o JOIN accounts a ON a.id = o.actor_id
       WHERE ($1::text IS NULL OR o.action = $1) AND ($2::text IS NULL OR o.subject_id = $2)
         AND ($3::bigint IS NULL OR o.id < $3)
       ORDER BY o.id DESC LIMIT $4`,
      [query.action ?? null, query.subject ?? null, query.cursor ?? null, limit + 1],
    );
    return keysetPage(
      rows,
      limit,
      (row) => ({
        ref: actionRef(row.id),
        actorId: row.actor_id,
        actorHandle: row.actor_handle,
        action: row.action,
        subjectKind: row.subject_kind,
        subjectId: row.subject_id,
        reason: row.reason,
        at: new Date(row.at).toISOString(),
      }),
      (last) => last.id,
    );
  }
}
