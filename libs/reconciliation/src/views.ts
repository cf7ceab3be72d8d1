import { journalAccounts } from '#settlement';
import { ledgerHeadOf } from '#ledger';

/** The reconciliation views, each one set-based check over the books of other libs. */
export const VIEW_NAMES = ['payments', 'journal', 'payouts', 'ledger', 'processor'] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

/** A column of a view's findings, as JSON and CSV name it, and the SQL column it is read from. */
interface Column {
  name: string;
  sql: string;
  type: 'text' | 'integer';
}

/**
 * One view: SQL giving every row it checks, with the columns `key` (unique, orders the rows and
 * pages them), `finding` (NULL when the row reconciles, else the kind of discrepancy), `currency`
 * and `amount_minor` (what the summary totals; NULL where no money is involved), and its own columns.
 */
export interface ViewDefinition {
  name: ViewName;
  /** What the view checks, for the API docs. */
  describes: string;
  /** The kinds of finding it can report. */
  findingKinds: readonly string[];
  columns: readonly Column[];
  rowsSql: string;
}

const text = (name: string, sql: string): Column => ({ name, sql, type: 'text' });
const integer = (name: string, sql: string): Column => ({ name, sql, type: 'integer' });

/** Kinds of journal entry that take a captured payment in: a sale, or a refund we owe instead. */
const CAPTURE_KINDS = `('sale', 'payment-to-refund')`;
const PAYABLE_PREFIX = journalAccounts.payable('');

/**
 * Every captured payment ↔ exactly one sale or one refund. A payment counts as captured once the
 * platform accepted its processor's `payment_intent.succeeded` (stored and applied, not ignored as
 * unconfirmed); it is booked by one `sale` entry, or one `payment-to-refund` entry when the
 * edition was no longer for sale, of the one order that names it (orders.payment_id is unique).
 * Sales whose order has no payment are listed under the order.
 */
const payments: ViewDefinition = {
  name: 'payments',
  describes:
    'Every captured payment is booked as exactly one sale or one refund owed, and every sale has a payment',
  findingKinds: ['payment-without-sale', 'payment-with-two-sales', 'sale-without-payment'],
  columns: [
    text('finding', 'finding'),
    text('paymentId', 'payment_id'),
    text('orderId', 'order_id'),
    text('journalEntries', 'journal_entries'),
    text('currency', 'currency'),
    integer('amountMinor', 'amount_minor'),
  ],
  rowsSql: `
    WITH captured AS (
      SELECT e.payment_id, max(upper(e.payload->>'currency')) AS currency,
             max((e.payload->>'amount')::bigint) AS amount
      FROM payment_events e
      WHERE e.type = 'payment_intent.succeeded' AND e.payment_id IS NOT NULL
        AND e.processed_at IS NOT NULL AND e.outcome IS DISTINCT FROM 'ignored'
      GROUP BY e.payment_id),
    booked AS (
      SELECT coalesce(o.payment_id, 'order:' || o.id) AS payment_id, o.payment_id AS paid_by,
             max(o.id::text) AS order_id, string_agg(j.id || ':' || j.kind, ' ') AS journal_entries,
             count(*) AS bookings, max(o.currency) AS currency, max(o.amount_minor) AS amount
      FROM journal_entries j JOIN orders o ON o.id = j.order_id
      WHERE j.kind IN ${CAPTURE_KINDS}
      GROUP BY 1, 2)
    SELECT coalesce(c.payment_id, b.payment_id) AS key,
           CASE WHEN b.payment_id IS NULL THEN 'payment-without-sale'
                WHEN c.payment_id IS NULL THEN 'sale-without-payment'
                WHEN b.bookings > 1 THEN 'payment-with-two-sales' END AS finding,
           coalesce(c.payment_id, b.paid_by) AS payment_id, b.order_id, b.journal_entries,
           coalesce(c.currency, b.currency) AS currency, coalesce(c.amount, b.amount) AS amount_minor
    FROM captured c FULL JOIN booked b ON b.payment_id = c.payment_id`,
};

/** Every journal entry balances: its lines sum to zero in each currency (and it has lines). */
const journal: ViewDefinition = {
  name: 'journal',
  describes: 'Every journal entry balances: its lines sum to zero in each currency',
  findingKinds: ['unbalanced', 'entry-without-lines'],
  columns: [
    text('finding', 'finding'),
    integer('entryId', 'entry_id'),
    text('kind', 'kind'),
    text('orderId', 'order_id'),
    text('currency', 'currency'),
    integer('debitsMinor', 'amount_minor'),
    integer('imbalanceMinor', 'imbalance_minor'),
    integer('lines', 'lines'),
  ],
  // Lines are summed per entry first: one pass over the lines, then a join of far fewer rows.
  rowsSql: `
    WITH sums AS (
      SELECT entry_id, currency, sum(amount_minor) AS imbalance,
             sum(amount_minor) FILTER (WHERE amount_minor > 0) AS debits, count(*) AS lines
      FROM journal_lines GROUP BY entry_id, currency)
    SELECT lpad(e.id::text, 19, '0') || ':' || coalesce(s.currency, '') AS key,
           CASE WHEN s.entry_id IS NULL THEN 'entry-without-lines'
                WHEN s.imbalance <> 0 THEN 'unbalanced' END AS finding,
           e.id AS entry_id, e.kind, e.order_id::text AS order_id, s.currency,
           coalesce(s.debits, 0) AS amount_minor, coalesce(s.imbalance, 0) AS imbalance_minor,
           coalesce(s.lines, 0) AS lines
    FROM journal_entries e LEFT JOIN sums s ON s.entry_id = e.id`,
};

/**
 * Payouts ≤ earnings per account and currency: what was paid out (payouts not failed) never
 * exceeds what the journal credited the account for sales, and every payout is booked. (A refund
 * after a payout legitimately leaves the balance negative: credits, not the net, are the bound.)
 */
const payouts: ViewDefinition = {
  name: 'payouts',
  describes:
    'Per account and currency, payouts (not failed) never exceed what the journal credited it for sales, and each is booked',
  findingKinds: ['payouts-above-earnings', 'payouts-not-booked'],
  columns: [
    text('finding', 'finding'),
    text('accountId', 'account_id'),
    text('currency', 'currency'),
    integer('paidOutMinor', 'amount_minor'),
    integer('creditedMinor', 'credited_minor'),
    integer('bookedPayoutsMinor', 'booked_payouts_minor'),
    integer('payouts', 'payouts'),
  ],
  rowsSql: `
    WITH earned AS (
      SELECT substr(l.account, ${PAYABLE_PREFIX.length + 1}) AS account_id, l.currency,
             coalesce(sum(-l.amount_minor) FILTER (WHERE l.amount_minor < 0 AND e.order_id IS NOT NULL), 0)
               AS credited,
             coalesce(sum(l.amount_minor) FILTER (WHERE e.order_id IS NULL AND e.kind LIKE 'payout%'), 0)
               AS booked_payouts
      FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
      WHERE starts_with(l.account, '${PAYABLE_PREFIX}')
      GROUP BY 1, 2),
    paid AS (
      SELECT account_id::text AS account_id, currency, sum(amount_minor) AS paid_out, count(*) AS payouts
      FROM payouts WHERE status <> 'failed' GROUP BY 1, 2)
    SELECT r.account_id || ':' || r.currency AS key,
           CASE WHEN r.amount_minor > r.credited_minor THEN 'payouts-above-earnings'
                WHEN r.amount_minor <> r.booked_payouts_minor THEN 'payouts-not-booked' END AS finding,
           r.*
    FROM (
      SELECT coalesce(p.account_id, x.account_id) AS account_id, coalesce(p.currency, x.currency) AS currency,
             coalesce(p.paid_out, 0) AS amount_minor, coalesce(x.credited, 0) AS credited_minor,
             coalesce(x.booked_payouts, 0) AS booked_payouts_minor, coalesce(p.payouts, 0) AS payouts
      FROM paid p FULL JOIN earned x ON x.account_id = p.account_id AND x.currency = p.currency) r`,
};

/** Ledger owners = database owners: each token row agrees with the head of its ledger history. */
const ledger: ViewDefinition = {
  name: 'ledger',
  describes: 'Every token row (owner, status, ledger seq) agrees with what its ledger history says',
  findingKinds: ['no-ledger-entry', 'owner-mismatch', 'status-mismatch', 'seq-mismatch'],
  columns: [
    text('finding', 'finding'),
    text('tokenId', 'token_id'),
    text('rowOwner', 'row_owner'),
    text('ledgerOwner', 'ledger_owner'),
    text('rowStatus', 'row_status'),
    text('ledgerStatus', 'ledger_status'),
    integer('rowSeq', 'row_seq'),
    integer('ledgerSeq', 'ledger_seq'),
  ],
  rowsSql: `
    SELECT t.id AS key,
           CASE WHEN head.head_seq IS NULL THEN 'no-ledger-entry'
                WHEN t.owner_id::text IS DISTINCT FROM head.head_owner THEN 'owner-mismatch'
                WHEN t.status IS DISTINCT FROM head.head_status THEN 'status-mismatch'
                WHEN t.ledger_seq IS DISTINCT FROM head.head_seq THEN 'seq-mismatch' END AS finding,
           t.id AS token_id, t.owner_id::text AS row_owner, head.head_owner AS ledger_owner,
           t.status AS row_status, head.head_status AS ledger_status, t.ledger_seq AS row_seq,
           head.head_seq AS ledger_seq, NULL::text AS currency, NULL::bigint AS amount_minor
    FROM tokens t ${ledgerHeadOf('t.id')}`,
};

/** The processor's books as rows (payment_id, currency, captured, refunded): the sandbox rail's tables. */
const SANDBOX_PROCESSOR = `
  SELECT id AS payment_id, upper(currency) AS currency, amount AS captured, amount_refunded AS refunded
  FROM sandbox_payment_intents
  WHERE state IN ('succeeded', 'partially_refunded', 'refunded', 'disputed', 'dispute_won', 'dispute_lost')`;

/**
 * The processor's books as the same rows from parameters $1–$4 (arrays of payment ids, currencies,
 * captured and refunded amounts): what the payment port read from a remote processor (Stripe's
 * balance transactions).
 */
const PROCESSOR_FROM_PARAMETERS = `
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS p(payment_id, currency, captured, refunded)`;

/**
 * The processor's view ↔ the journal: per payment, what the processor captured and refunded (rows
 * of `processorSql`) against the processor-clearing lines the journal booked for it. Disputes move
 * money outside refunds and are not compared.
 */
function processorView(processorSql: string): ViewDefinition {
  return {
    name: 'processor',
    describes:
      'Per payment, what the processor captured and refunded (sandbox rail: its own tables; Stripe: its ' +
      'balance transactions) equals the cash the journal booked',
    findingKinds: [
      'captured-not-booked',
      'booked-not-captured',
      'captured-amount-differs',
      'refunded-amount-differs',
    ],
    columns: [
      text('finding', 'finding'),
      text('paymentId', 'payment_id'),
      text('currency', 'currency'),
      integer('capturedMinor', 'amount_minor'),
      integer('bookedCapturedMinor', 'booked_captured_minor'),
      integer('refundedMinor', 'refunded_minor'),
      integer('bookedRefundedMinor', 'booked_refunded_minor'),
    ],
    rowsSql: `
    WITH processor AS (${processorSql}),
    booked AS (
      SELECT o.payment_id, max(l.currency) AS currency,
             coalesce(sum(l.amount_minor) FILTER (WHERE j.kind IN ${CAPTURE_KINDS}), 0) AS captured,
             coalesce(-sum(l.amount_minor) FILTER (WHERE starts_with(j.kind, 'refund:')), 0) AS refunded
      FROM journal_entries j JOIN orders o ON o.id = j.order_id JOIN journal_lines l ON l.entry_id = j.id
      WHERE o.payment_id IS NOT NULL AND l.account = '${journalAccounts.processorClearing}'
      GROUP BY o.payment_id)
    SELECT coalesce(p.payment_id, b.payment_id) AS key,
           CASE WHEN p.payment_id IS NULL THEN 'booked-not-captured'
                WHEN b.payment_id IS NULL OR b.captured = 0 THEN 'captured-not-booked'
                WHEN p.captured <> b.captured THEN 'captured-amount-differs'
                WHEN p.refunded <> b.refunded THEN 'refunded-amount-differs' END AS finding,
           coalesce(p.payment_id, b.payment_id) AS payment_id, coalesce(p.currency, b.currency) AS currency,
           coalesce(p.captured, 0) AS amount_minor, coalesce(b.captured, 0) AS booked_captured_minor,
           coalesce(p.refunded, 0) AS refunded_minor, coalesce(b.refunded, 0) AS booked_refunded_minor
    FROM processor p FULL JOIN booked b ON b.payment_id = p.payment_id`,
  };
}

/** The processor view over a remote processor's books, passed as parameters (see PROCESSOR_FROM_PARAMETERS). */
export const PROCESSOR_FROM_PORT = processorView(PROCESSOR_FROM_PARAMETERS);

export const VIEWS: Record<ViewName, ViewDefinition> = {
  payments,
  journal,
  payouts,
  ledger,
  processor: processorView(SANDBOX_PROCESSOR),
};
