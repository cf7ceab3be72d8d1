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

/** One journal entry to post: an order's balanced lines of one kind, in one currency. */
export interface JournalPosting {
  orderId: string;
  currency: string;
  lines: JournalLine[];
}

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
  // One statement: the lines are inserted only if the entry was (a repeat inserts neither).
  const inserted = await preparedQuery<{ id: string }>(
    manager,
    'checkout:post-journal',
    `WITH ${journalEntryCtes(1)} SELECT id FROM entry`,
    journalEntryValues(kind, [{ orderId, currency, lines }]),
  );
  return inserted.length > 0;
}

/**
 * The parameters of `journalEntryCtes`, in order: kind, the entries' order ids, and the lines'
 * order ids, accounts, amounts and currencies. Throws unless every entry balances (the database
 * checks again at commit).
 */
export function journalEntryValues(
  kind: string,
  postings: readonly JournalPosting[],
): [string, string[], string[], string[], number[], string[]] {
  const lines: (JournalLine & { orderId: string; currency: string })[] = [];
  for (const { orderId, currency, lines: entryLines } of postings) {
    const total = entryLines.reduce((sum, line) => sum + line.amount, 0);
    if (total !== 0) throw new Error(`journal entry ${kind} for ${orderId} does not balance (${total})`);
    for (const line of entryLines) if (line.amount !== 0) lines.push({ ...line, orderId, currency });
  }
  return [
    kind,
    postings.map((posting) => posting.orderId),
    lines.map((line) => line.orderId),
    lines.map((line) => line.account),
    lines.map((line) => line.amount),
    lines.map((line) => line.currency),
  ];
}

/**
 * The CTEs `entry` (the ids of the entries inserted now) and `posted` that post journal entries of
 * one kind, each at most once per (order, kind), for a statement whose parameters from `$first` on
 * are `journalEntryValues`. An entry's lines are inserted only with the entry.
 */
export function journalEntryCtes(first: number): string {
  const [kind, orders, lineOrders, accountsArray, amounts, currencies] = [0, 1, 2, 3, 4, 5].map(
    (i) => `$${first + i}`,
  );
  return `entry AS (
       INSERT INTO journal_entries (order_id, kind) SELECT unnest(${orders}::uuid[]), ${kind}
       ON CONFLICT ON CONSTRAINT journal_entries_once DO NOTHING RETURNING id, order_id),
     posted AS (
       INSERT INTO journal_lines (entry_id, account, amount_minor, currency)
       SELECT entry.id, l.account, l.amount, l.currency
       FROM entry JOIN unnest(${lineOrders}::uuid[], ${accountsArray}::text[], ${amounts}::bigint[],
                              ${currencies}::text[]) AS l(order_id, account, amount, currency)
         ON l.order_id = entry.order_id)`;
}
