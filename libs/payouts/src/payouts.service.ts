import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  backoffWithJitterMs,
  escalatesAt,
  inLockedTransaction,
  inTransaction,
  updateReturning,
} from '#database';
import { keysetPage, microsSql, parseTimeIdCursor, problems, timeIdCursor, timeOfMicrosSql } from '#http';
import { IntegrityAlerts } from '#ledger';
import { recordOperatorAction } from '#operator-trail';
import { journalAccounts, postAccountJournal } from '#settlement';
import { ConnectedAccountsService } from './connected-accounts.js';
import { emitEvents } from '#webhooks';
import { EarningsService } from './earnings.js';
import { PayoutRail, type PayoutOutcome } from './payout-rail.js';

export type PayoutStatus = 'pending' | 'paid' | 'failed';

interface PayoutRow {
  id: string;
  account_id: string;
  idempotency_key: string;
  amount_minor: string;
  currency: string;
  status: PayoutStatus;
  rail: string;
  rail_ref: string | null;
  failure_code: string | null;
  run_key: string | null;
  requested_at: Date;
  settled_at: Date | null;
  requested_us: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
}

const PAYOUT_COLUMNS = `id, account_id, idempotency_key, amount_minor, currency, status, rail, rail_ref,
  failure_code, run_key, requested_at, settled_at, ${microsSql('requested_at')} AS requested_us, attempts,
  last_error, next_attempt_at`;

/** First resend of a payout whose rail answer was lost after about this long, doubling up to the max. */
const PAYOUT_RETRY_BACKOFF = { baseMs: 5_000, maxMs: 30 * 60_000 };
/**
 * Failed sends after which a pending payout is stuck (about five minutes of a rail outage): operators
 * are alerted then and again at each doubling (12, 24, …) while it keeps being retried.
 */
export const PAYOUT_STUCK_ATTEMPTS = 6;
/** How long a payout being sent is left to the process sending it before the retry job may send it. */
const PAYOUT_SEND_LEASE_MS = 60_000;
/** How often the retry job looks for due payouts. */
export const PAYOUT_RETRY_INTERVAL_MS = 5_000;

/** How much to pay: an exact amount (a person's request) or all that is available (a run). */
type PayoutAmount = { amountMinor: number } | 'all-available';

/** The serialisation key of one account's payouts: requests and runs check its balance one at a time. */
export const payoutLockKey = (accountId: string) => `payouts:${accountId}`;

/**
 * Payouts of earnings: requested by the account (or a run), booked from its payable account to
 * payouts in transit, then sent through the rail; paid moves them out of the processor's balance,
 * failed returns them to the account's balance.
 */
@Injectable()
export class PayoutsService {
  private readonly logger = new Logger(PayoutsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly earnings: EarningsService,
    private readonly rail: PayoutRail,
    private readonly connected: ConnectedAccountsService,
    private readonly alerts: IntegrityAlerts,
  ) {}

  /**
   * Requests a payout of `amountMinor` from the account's available balance. Idempotent per key:
   * the same key answers the same payout; with another amount or currency, 409.
   */
  async request(accountId: string, body: { amountMinor: number; currency: string; idempotencyKey: string }) {
    const amount = { amountMinor: body.amountMinor };
    await this.connected.refreshBeforePayout(accountId);
    const payout = await this.book(accountId, body.currency, body.idempotencyKey, amount);
    if (!payout) throw new Error('a payout of an exact amount is booked or refused, never skipped');
    return this.view(await this.settle(payout));
  }

  /**
   * Books the payout under the account's lock, so that the balance read is the one the payout is
   * taken from (concurrent requests queue, each seeing the ones before). Answers the payout, or
   * undefined when a run finds nothing to pay.
   */
  private book(
    accountId: string,
    currency: string,
    idempotencyKey: string,
    amount: PayoutAmount,
    runKey: string | null = null,
  ): Promise<PayoutRow | undefined> {
    return inLockedTransaction(this.dataSource, payoutLockKey(accountId), async (manager) => {
      const [existing]: PayoutRow[] = await manager.query(
        `SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE account_id = $1 AND idempotency_key = $2`,
        [accountId, idempotencyKey],
      );
      if (existing) {
        const sameAmount = amount === 'all-available' || Number(existing.amount_minor) === amount.amountMinor;
        if (!sameAmount || existing.currency !== currency) {
          throw problems.conflict(
            'idempotency-key-reused',
            'This idempotency key was used for a payout of another amount or currency. Use a new key for a new payout.',
          );
        }
        return existing;
      }
      if (!(await this.connected.destination(manager, accountId)).enabled) {
        // A run pays the accounts that can be paid; the others keep their balance.
        if (amount === 'all-available') return undefined;
        throw this.connected.onboardingRequired();
      }
      const available = await this.earnings.available(manager, accountId, currency);
      const amountMinor = amount === 'all-available' ? available : amount.amountMinor;
      if (amount === 'all-available' && amountMinor <= 0) return undefined;
      if (amountMinor > available) {
        throw problems.unprocessable(
          'payout-exceeds-available',
          available > 0
            ? `You can be paid out at most ${available} minor units of ${currency} now. Ask for that much or less.`
            : `Nothing in ${currency} is available to pay out yet: earnings become available once their refund window ends.`,
          { availableMinor: available, currency },
        );
      }
      const [payout]: PayoutRow[] = await manager.query(
        // Due for the retry job only after the lease: this process sends it right after commit.
        `INSERT INTO payouts (account_id, idempotency_key, amount_minor, currency, rail, run_key, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond') RETURNING ${PAYOUT_COLUMNS}`,
        [accountId, idempotencyKey, amountMinor, currency, this.rail.name, runKey, PAYOUT_SEND_LEASE_MS],
      );
      await postAccountJournal(manager, `payout:${payout.id}`, currency, [
        { account: journalAccounts.payable(accountId), amount: amountMinor },
        { account: journalAccounts.payoutsInTransit(accountId), amount: -amountMinor },
      ]);
      return payout;
    });
  }

  /**
   * Sends a pending payout through the rail (after its booking committed) and books the outcome
   * once; a payout already settled is answered as it is. If the rail's answer is unknown the payout
   * stays pending and the retry job sends it again, with the same id, after a backoff.
   */
  private async settle(payout: PayoutRow, resend = false, now = new Date()): Promise<PayoutRow> {
    if (payout.status !== 'pending') return payout;
    let outcome: PayoutOutcome;
    try {
      outcome = await this.rail.send({
        id: payout.id,
        accountId: payout.account_id,
        amountMinor: Number(payout.amount_minor),
        currency: payout.currency,
        destination: await this.connected.connectedAccountOf(payout.account_id),
        resend,
      });
    } catch (error) {
      return this.sendFailed(payout, String(error), now);
    }
    return inTransaction(this.dataSource, async (manager) => {
      const [settled] = await updateReturning<PayoutRow>(
        manager,
        `UPDATE payouts SET status = $2, rail_ref = $3, failure_code = $4, settled_at = now(),
           attempts = attempts + 1, last_attempt_at = now(), next_attempt_at = NULL
         WHERE id = $1 AND status = 'pending' RETURNING ${PAYOUT_COLUMNS}`,
        [
          payout.id,
          outcome.status,
          outcome.status === 'paid' ? outcome.railRef : null,
          outcome.status === 'failed' ? outcome.failureCode : null,
        ],
      );
      if (!settled) return this.read(manager, payout.id);
      await this.bookOutcome(manager, settled);
      return settled;
    });
  }

  /**
   * The rail's answer was lost (error, timeout): the payout stays pending, due again after a backoff
   * with jitter. Never given up: at `PAYOUT_STUCK_ATTEMPTS` and each doubling, operators are alerted.
   */
  private async sendFailed(payout: PayoutRow, error: string, now: Date): Promise<PayoutRow> {
    const attempts = payout.attempts + 1;
    const [pending] = await updateReturning<PayoutRow>(
      this.dataSource.manager,
      `UPDATE payouts SET attempts = $2, last_error = $3, last_attempt_at = $4,
         next_attempt_at = $4::timestamptz + $5 * interval '1 millisecond'
       WHERE id = $1 AND status = 'pending' RETURNING ${PAYOUT_COLUMNS}`,
      [payout.id, attempts, error.slice(0, 500), now, backoffWithJitterMs(attempts, PAYOUT_RETRY_BACKOFF)],
    );
    const context = { payout: payout.id, rail: this.rail.name, attempts, error };
    if (escalatesAt(attempts, PAYOUT_STUCK_ATTEMPTS)) {
      await this.alerts.raise({
        kind: 'payout-stuck',
        subject: `payout:${payout.id}`,
        detail:
          `Payout ${payout.id} of ${payout.amount_minor} minor units of ${payout.currency} to account ` +
          `${payout.account_id} is still pending after ${attempts} attempts on the ${this.rail.name} rail ` +
          `(last error: ${error.slice(0, 200)}). It is retried with the same idempotency key; see ` +
          'GET /operator/payouts?status=pending.',
      });
    } else {
      this.logger.warn(context, 'payout stays pending: the rail did not answer; retrying with backoff');
    }
    return pending ?? (await this.read(this.dataSource.manager, payout.id));
  }

  /**
   * The retry job: sends again every pending payout due at `now` (its rail answer was lost, or the
   * process that booked it died before sending), with the same idempotency key, so it pays once.
   * Only payouts of the configured rail: one booked on another rail is never sent through this one.
   */
  async retryDue(now: Date = new Date()): Promise<number> {
    const due = await updateReturning<PayoutRow>(
      this.dataSource.manager,
      `UPDATE payouts SET next_attempt_at = $1::timestamptz + $2 * interval '1 millisecond'
       WHERE id IN (SELECT id FROM payouts WHERE status = 'pending' AND rail = $3 AND next_attempt_at <= $1
                    ORDER BY next_attempt_at LIMIT 100 FOR UPDATE SKIP LOCKED)
       RETURNING ${PAYOUT_COLUMNS}`,
      [now, PAYOUT_SEND_LEASE_MS, this.rail.name],
    );
    for (const payout of due) await this.settle(payout, true, now);
    return due.length;
  }

  /** Paid: the money leaves the processor's balance. Failed: it returns to the account's balance. */
  private async bookOutcome(manager: EntityManager, payout: PayoutRow): Promise<void> {
    const amount = Number(payout.amount_minor);
    const inTransit = journalAccounts.payoutsInTransit(payout.account_id);
    const [kind, to] =
      payout.status === 'paid'
        ? [`payout-paid:${payout.id}`, journalAccounts.processorClearing]
        : [`payout-failed:${payout.id}`, journalAccounts.payable(payout.account_id)];
    await postAccountJournal(manager, kind, payout.currency, [
      { account: inTransit, amount },
      { account: to, amount: -amount },
    ]);
    if (payout.status === 'paid') {
      await emitEvents(manager, [
        {
          type: 'payout.paid',
          accountIds: [payout.account_id],
          data: {
            payoutId: payout.id,
            amountMinor: amount,
            currency: payout.currency,
            rail: payout.rail,
            railRef: payout.rail_ref,
          },
        },
      ]);
    }
  }

  private async read(manager: EntityManager, id: string): Promise<PayoutRow> {
    const [row]: PayoutRow[] = await manager.query(`SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE id = $1`, [
      id,
    ]);
    return row;
  }

  /**
   * Pays every positive available balance, one payout per account and currency under this run key
   * (key `run:<runKey>:<currency>`): a repeated run pays nobody twice, it resumes an interrupted
   * one. Payouts left pending by an unknown rail answer are sent again first.
   */
  async run(operatorId: string, body: { runKey: string; reason?: string }) {
    const { runKey } = body;
    // The run is recorded (with the operator's act) once, before any payout refers to it.
    await inTransaction(this.dataSource, async (manager) => {
      const [started]: { run_key: string }[] = await manager.query(
        `INSERT INTO payout_runs (run_key, started_by) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING run_key`,
        [runKey, operatorId],
      );
      if (!started) return;
      await recordOperatorAction(manager, {
        actorId: operatorId,
        action: 'payout.run',
        subject: { kind: 'platform', id: `payout-run:${runKey}` },
        reason: body.reason ?? 'Scheduled payout run',
      });
    });
    await this.retryDue();
    for (const { accountId, currency } of await this.earnings.positiveAvailable()) {
      const payout = await this.book(
        accountId,
        currency,
        `run:${runKey}:${currency}`,
        'all-available',
        runKey,
      );
      if (payout) await this.settle(payout);
    }
    const rows: PayoutRow[] = await this.dataSource.query(
      `SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE run_key = $1 ORDER BY requested_at, id`,
      [runKey],
    );
    return { runKey, payouts: rows.map((row) => this.view(row)) };
  }

  /**
   * Payouts newest first, in keyset pages over (requested_at, id): one account's, or everyone's.
   * The rail's last error is shown to operators only (it names our systems, not the person's).
   */
  async list(
    query: { accountId?: string; status?: PayoutStatus; limit?: number; cursor?: string },
    { forOperator = false } = {},
  ) {
    const limit = query.limit ?? 20;
    const [afterUs, afterId] = parseTimeIdCursor(query.cursor);
    const rows: PayoutRow[] = await this.dataSource.query(
      `SELECT ${PAYOUT_COLUMNS} FROM payouts
       WHERE ($1::uuid IS NULL OR account_id = $1) AND ($2::text IS NULL OR status = $2)
         AND ($3::bigint IS NULL OR (requested_at, id) < (${timeOfMicrosSql('$3')}, $4::uuid))
       ORDER BY requested_at DESC, id DESC LIMIT $5`,
      [query.accountId ?? null, query.status ?? null, afterUs, afterId, limit + 1],
    );
    return keysetPage(
      rows,
      limit,
      (row) => this.view(row, forOperator),
      (last) => timeIdCursor(last.requested_us, last.id),
    );
  }

  private view(row: PayoutRow, forOperator = false) {
    return {
      id: row.id,
      accountId: row.account_id,
      idempotencyKey: row.idempotency_key,
      amountMinor: Number(row.amount_minor),
      currency: row.currency,
      status: row.status,
      rail: row.rail,
      railRef: row.rail_ref,
      failureCode: row.failure_code,
      runKey: row.run_key,
      requestedAt: new Date(row.requested_at).toISOString(),
      settledAt: row.settled_at ? new Date(row.settled_at).toISOString() : null,
      attempts: row.attempts,
      nextAttemptAt:
        row.status === 'pending' && row.next_attempt_at ? new Date(row.next_attempt_at).toISOString() : null,
      lastError: forOperator ? row.last_error : null,
    };
  }
}
