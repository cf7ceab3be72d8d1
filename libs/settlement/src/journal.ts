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
  /**
   * Card fees the processor keeps on money we give back (a refund, a dispute). The platform absorbs
   * them rather than the seller: the seller's share is reversed exactly, so a refunded buyer never
   * leaves a seller owing more than they were paid, and the platform is the party that decided (or,
   * for disputes, accepted the risk) to give the money back.
   */
  processorFeesAbsorbed: 'expense:processor-fees-absorbed',
  /** The processor's fee for a dispute, lost whatever its outcome (the platform's cost, as above). */
  disputeFees: 'expense:dispute-fees',
  /** An account's payouts on their way to it: debited from its payable until the rail pays or fails them. */
  payoutsInTransit: (accountId: string) => `liability:payouts-in-transit:${accountId}`,
};

/**
 * The sale (`saleLines`: processor clearing first, the seller's share last) reversed for `returned`
 * of its gross, pro rata: the processor clearing gives back `returned`, each share is taken back in
 * proportion (rounded down, the seller's line takes the remainder), and the processor fee share is
 * booked as the platform's expense because the processor keeps its fee. Exact at the full gross.
 */
export function saleReversal(sale: readonly JournalLine[], returned: number): JournalLine[] {
  const [clearing, ...shares] = sale;
  const gross = clearing.amount;
  const taken = shares.slice(0, -1).map((line) => ({
    account: line.account === accounts.processorFees ? accounts.processorFeesAbsorbed : line.account,
    amount: Math.floor((-line.amount * returned) / gross),
  }));
  const remainder = returned - taken.reduce((sum, line) => sum + line.amount, 0);
  return [
    { account: clearing.account, amount: -returned },
    ...taken,
    { account: shares[shares.length - 1].account, amount: remainder },
  ];
}

/** `lines` minus `earlier`, line by line (both from the same function, so in the same shape). */
export function linesSince(lines: readonly JournalLine[], earlier: readonly JournalLine[]): JournalLine[] {
  return lines.map((line, i) => ({ account: line.account, amount: line.amount - earlier[i].amount }));
}

/**
 * Books a refund the processor reports as `refunded` so far (cumulative): one entry per new total,
 * kind `refund:<total>`, holding the difference between `linesFor(total)` and what earlier refund
 * entries booked. A replayed or overtaken (smaller) total books nothing. Returns whether it booked.
 */
export async function postRefundSoFar(
  manager: EntityManager,
  order: { id: string; currency: string },
  refunded: number,
  linesFor: (refunded: number) => JournalLine[],
): Promise<boolean> {
  const [row]: { booked: string }[] = await manager.query(
    `SELECT coalesce(max(split_part(kind, ':', 2)::bigint), 0) AS booked FROM journal_entries
     WHERE order_id = $1 AND kind LIKE 'refund:%'`,
    [order.id],
  );
  const booked = Number(row.booked);
  if (refunded <= booked) return false;
  const lines = linesSince(linesFor(refunded), linesFor(booked));
  return postJournal(manager, order.id, `refund:${refunded}`, order.currency, lines);
}

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

/**
 * Posts one balanced journal entry that belongs to no order (a payout, …), at most once per kind:
 * the kind must name what it books (`payout:<id>`), since a repeat of a kind is a no-op. Returns
 * whether it booked. The database refuses an unbalanced entry at commit.
 */
export async function postAccountJournal(
  manager: EntityManager,
  kind: string,
  currency: string,
  lines: JournalLine[],
): Promise<boolean> {
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  if (total !== 0) throw new Error(`journal entry ${kind} does not balance (${total})`);
  const booked = lines.filter((line) => line.amount !== 0);
  // NULL order ids are distinct under journal_entries_once: the partial index keeps these once.
  const inserted = await preparedQuery<{ id: string }>(
    manager,
    'settlement:post-account-journal',
    `WITH entry AS (
       INSERT INTO journal_entries (order_id, kind) VALUES (NULL, $1)
       ON CONFLICT (kind) WHERE order_id IS NULL DO NOTHING RETURNING id),
     posted AS (
       INSERT INTO journal_lines (entry_id, account, amount_minor, currency)
       SELECT entry.id, l.account, l.amount, $4 FROM entry, unnest($2::text[], $3::bigint[]) AS l(account, amount))
     SELECT id FROM entry`,
    [kind, booked.map((line) => line.account), booked.map((line) => line.amount), currency],
  );
  return inserted.length > 0;
}
