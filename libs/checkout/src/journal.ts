import type { EntityManager } from 'typeorm';

export interface JournalLine {
  account: string;
  /** Signed minor units: positive = debit, negative = credit. */
  amount: number;
}

/** Ledger accounts of the money journal. */
export const accounts = {
  processorClearing: 'asset:processor-clearing',
  processorFees: 'liability:processor-fees',
  platformRevenue: 'revenue:platform-fees',
  payable: (accountId: string) => `liability:payable:${accountId}`,
  refundsOwed: 'liability:refunds-owed',
};

/**
 * Posts one balanced journal entry, at most once per (order, kind): a repeated posting is a no-op,
 * which makes settlement replays harmless. The database refuses an unbalanced entry at commit.
 */
export async function postJournal(
  manager: EntityManager,
  orderId: string,
  kind: string,
  currency: string,
  lines: JournalLine[],
): Promise<boolean> {
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  if (total !== 0) throw new Error(`journal entry ${kind} for ${orderId} does not balance (${total})`);
  const [entry]: { id: string }[] = await manager.query(
    `INSERT INTO journal_entries (order_id, kind) VALUES ($1, $2) ON CONFLICT ON CONSTRAINT journal_entries_once DO NOTHING
     RETURNING id`,
    [orderId, kind],
  );
  if (!entry) return false;
  const nonZero = lines.filter((line) => line.amount !== 0);
  await manager.query(
    `INSERT INTO journal_lines (entry_id, account, amount_minor, currency)
     SELECT $1, account, amount, $4 FROM unnest($2::text[], $3::bigint[]) AS l(account, amount)`,
    [entry.id, nonZero.map((l) => l.account), nonZero.map((l) => l.amount), currency],
  );
  return true;
}
