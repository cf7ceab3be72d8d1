import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { updateReturning } from '#database';
import { keysetPage } from '#http';

/** Every kind of notice; a lib that tells accounts about something new adds its kind here. */
export const NOTIFICATION_KINDS = [
  'lottery.won',
  'sale.completed',
  'gift.received',
  'token.frozen',
  'token.unfrozen',
  'token.burned',
  'appeal.decided',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const NOTIFICATION_SUBJECT_KINDS = ['token', 'order', 'drop', 'appeal'] as const;
export type NotificationSubjectKind = (typeof NOTIFICATION_SUBJECT_KINDS)[number];

/** What the front needs to say it in the reader's language: ids for links, amounts, handles, reasons. */
export type NotificationData = Record<string, string | number | boolean | null>;

/** One notice to one account. */
export interface Notice {
  accountId: string;
  kind: NotificationKind;
  subject: { kind: NotificationSubjectKind; id: string };
  data: NotificationData;
}

/**
 * Stores notices in the caller's transaction (one statement for all of them), so an account is
 * told exactly about what took effect.
 */
export async function notify(manager: EntityManager, notices: readonly Notice[]): Promise<void> {
  if (notices.length === 0) return;
  await manager.query(
    `INSERT INTO notifications (account_id, kind, subject_kind, subject_id, data)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[])`,
    [
      notices.map((notice) => notice.accountId),
      notices.map((notice) => notice.kind),
      notices.map((notice) => notice.subject.kind),
      notices.map((notice) => notice.subject.id),
      notices.map((notice) => JSON.stringify(notice.data)),
    ],
  );
}

/** Deletes every notice to an account (it is being deleted), in the caller's transaction. */
export async function forgetNotifications(manager: EntityManager, accountId: string): Promise<void> {
  await manager.query(`DELETE FROM notifications WHERE account_id = $1`, [accountId]);
}

interface NotificationRow {
  id: string;
  kind: NotificationKind;
  subject_kind: NotificationSubjectKind;
  subject_id: string;
  data: NotificationData;
  created_at: Date;
  read_at: Date | null;
}

/** An account's notices: newest first, unread counted, marked read by the account. */
@Injectable()
export class NotificationsService {
  constructor(private readonly dataSource: DataSource) {}

  async list(accountId: string, query: { unread?: boolean; limit?: number; cursor?: string }) {
    const limit = query.limit ?? 20;
    const [rows, [{ unread }]]: [NotificationRow[], { unread: number }[]] = await Promise.all([
      this.dataSource.query(
        `SELECT id, kind, subject_kind, subject_id, data, created_at, read_at FROM notifications
         WHERE account_id = $1 AND ($2::boolean IS NOT TRUE OR read_at IS NULL)
           AND ($3::bigint IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4`,
        [accountId, query.unread ?? null, query.cursor ?? null, limit + 1],
      ),
      this.dataSource.query(
        `SELECT count(*)::int AS unread FROM notifications WHERE account_id = $1 AND read_at IS NULL`,
        [accountId],
      ),
    ]);
    const page = keysetPage(
      rows,
      limit,
      (row) => ({
        id: row.id,
        kind: row.kind,
        subjectKind: row.subject_kind,
        subjectId: row.subject_id,
        data: row.data,
        createdAt: row.created_at.toISOString(),
        readAt: row.read_at?.toISOString() ?? null,
      }),
      (last) => last.id,
    );
    return { ...page, unread };
  }

  /** Marks the given notices (or all of them) read; answers how many were unread until now. */
  async markRead(accountId: string, which: { ids?: string[]; all?: boolean }) {
    const rows = await updateReturning(
      this.dataSource,
      `UPDATE notifications SET read_at = now()
       WHERE account_id = $1 AND read_at IS NULL AND ($2::boolean IS TRUE OR id = ANY($3::bigint[]))
       RETURNING id`,
      [accountId, which.all ?? false, which.ids ?? []],
    );
    return { marked: rows.length };
  }
}

/** The notice to a token's owner that it was frozen, unfrozen or burned (by an operator or a dispute). */
export function tokenNotice(
  ownerId: string,
  tokenId: string,
  change: 'freeze' | 'unfreeze' | 'burn',
  data: NotificationData,
): Notice {
  const kind =
    change === 'freeze' ? 'token.frozen' : change === 'unfreeze' ? 'token.unfrozen' : 'token.burned';
  return { accountId: ownerId, kind, subject: { kind: 'token', id: tokenId }, data: { tokenId, ...data } };
}
