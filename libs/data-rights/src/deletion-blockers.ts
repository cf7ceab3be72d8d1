import type { EntityManager } from 'typeorm';

/** Something the account must settle before it can be deleted, and how. */
export interface DeletionBlocker {
  reason:
    'holds-tokens' | 'open-orders' | 'active-listings' | 'lottery-entries' | 'money-owed' | 'payouts-pending';
  count: number;
  whatToDo: string;
}

const WHAT_TO_DO: Record<DeletionBlocker['reason'], string> = {
  'holds-tokens':
    'Download your archive (GET /me/archive) to keep proof of what you owned, then give (POST /tokens/{id}/gift) or sell your tokens',
  'open-orders':
    'Finish or let lapse your unpaid orders, and wait for pending refunds and open disputes to end (GET /me/orders)',
  'active-listings': 'Withdraw your listings or let them sell',
  'lottery-entries': 'Wait for the draws of the lottery drops you entered',
  'money-owed':
    'Your earnings balance is not zero: pay it out (POST /me/payouts) once it is available (GET /me/earnings), or wait for sales that repay what refunds took back',
  'payouts-pending':
    'Wait for your payouts on their way to end (GET /me/payouts): a failed one returns to your balance',
};

/**
 * Why the account cannot be deleted yet (empty: it can). Deleting it then would leave tokens,
 * money or a pending sale with nobody to act for them, so deletion is refused with these reasons.
 * Read in the deletion's transaction, after the account row is locked.
 */
export async function deletionBlockers(
  manager: EntityManager,
  accountId: string,
): Promise<DeletionBlocker[]> {
  const [row]: Record<DeletionBlocker['reason'], number>[] = await manager.query(
    `SELECT
       (SELECT count(*) FROM tokens WHERE owner_id = $1 AND status <> 'burned')::int AS "holds-tokens",
       (SELECT count(*) FROM orders WHERE (buyer_id = $1 OR seller_id = $1)
          AND status IN ('reserved', 'requires_action', 'refund_pending', 'disputed'))::int AS "open-orders",
       (SELECT count(*) FROM listings WHERE seller_id = $1 AND status = 'active')::int AS "active-listings",
       (SELECT count(*) FROM drop_entries e JOIN drops d ON d.id = e.drop_id
          WHERE e.buyer_id = $1 AND d.drawn_at IS NULL)::int AS "lottery-entries",
       (SELECT count(DISTINCT currency) FROM (
          SELECT currency FROM journal_lines WHERE account = $2 GROUP BY currency HAVING sum(amount_minor) <> 0
        ) owed)::int AS "money-owed",
       (SELECT count(*) FROM payouts WHERE account_id = $1 AND status = 'pending')::int AS "payouts-pending"`,
    [accountId, `liability:payable:${accountId}`],
  );
  return (Object.keys(WHAT_TO_DO) as DeletionBlocker['reason'][])
    .filter((reason) => row![reason] > 0)
    .map((reason) => ({ reason, count: row![reason], whatToDo: WHAT_TO_DO[reason] }));
}
