import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';

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
  const entry = journalEntryValues(orderId, kind, currency, lines);
  // One statement: the lines are inserted only if the entry was (a repeat inserts neither).
  const inserted = await preparedQuery<{ id: string }>(
    manager,
    'checkout:post-journal',
    `WITH ${journalEntryCtes(1)} SELECT id FROM entry`,
    entry,
  );
  return inserted.length > 0;
}

/**
 * The parameters of `journalEntryCtes`, in order: order id, kind, accounts, amounts, currency.
 * Throws unless the lines balance (the database checks again at commit).
 */
export function journalEntryValues(
  orderId: string,
  kind: string,
  currency: string,
  lines: JournalLine[],
): [string, string, string[], number[], string] {
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  if (total !== 0) throw new Error(`journal entry ${kind} for ${orderId} does not balance (${total})`);
  const nonZero = lines.filter((line) => line.amount !== 0);
  return [orderId, kind, nonZero.map((l) => l.account), nonZero.map((l) => l.amount), currency];
}

/**
 * The CTEs `entry` (the entry's id, if it was inserted now) and `posted` that post one journal
 * entry at most once per (order, kind), for a statement whose parameters from `$first` on are
 * `journalEntryValues`. The lines are inserted only with the entry.
 */
export function journalEntryCtes(first: number): string {
  const [order, kind, accountsArray, amounts, currency] = [0, 1, 2, 3, 4].map((i) => `$${first + i}`);
  return `entry AS (
       INSERT INTO journal_entries (order_id, kind) VALUES (${order}, ${kind})
       ON CONFLICT ON CONSTRAINT journal_entries_once DO NOTHING RETURNING id),
     posted AS (
       INSERT INTO journal_lines (entry_id, account, amount_minor, currency)
       SELECT entry.id, l.account, l.amount, ${currency}
       FROM entry, unnest(${accountsArray}::text[], ${amounts}::bigint[]) AS l(account, amount))`;
}
