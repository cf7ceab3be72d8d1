import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { inLockedTransaction, inTransaction, updateReturning } from '#database';
import { keysetPage, microsSql, parseTimeIdCursor, problems, timeIdCursor, timeOfMicrosSql } from '#http';
import { recordOperatorAction } from '#operator-trail';
import { journalAccounts, postAccountJournal } from '#settlement';
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
}

const PAYOUT_COLUMNS = `id, account_id, idempotency_key, amount_minor, currency, status, rail, rail_ref,
  failure_code, run_key, requested_at, settled_at, ${microsSql('requested_at')} AS requested_us`;

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
  ) {}

  /**
   * Requests a payout of `amountMinor` from the account's available balance. Idempotent per key:
   * the same key answers the same payout; with another amount or currency, 409.
   */
  async request(accountId: string, body: { amountMinor: number; currency: string; idempotencyKey: string }) {
    const amount = { amountMinor: body.amountMinor };
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
        `INSERT INTO payouts (account_id, idempotency_key, amount_minor, currency, rail, run_key)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${PAYOUT_COLUMNS}`,
        [accountId, idempotencyKey, amountMinor, currency, this.rail.name, runKey],
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
   * stays pending, to be sent again with the same id.
   */
  private async settle(payout: PayoutRow): Promise<PayoutRow> {
    if (payout.status !== 'pending') return payout;
    let outcome: PayoutOutcome;
    try {
      outcome = await this.rail.send({
        id: payout.id,
        accountId: payout.account_id,
        amountMinor: Number(payout.amount_minor),
        currency: payout.currency,
      });
    } catch (error) {
      this.logger.warn(
        `payout ${payout.id} stays pending: the ${this.rail.name} rail failed (${String(error)})`,
      );
      return payout;
    }
    return inTransaction(this.dataSource, async (manager) => {
      const [settled] = await updateReturning<PayoutRow>(
        manager,
        `UPDATE payouts SET status = $2, rail_ref = $3, failure_code = $4, settled_at = now()
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
    for (const pending of await this.stalePending()) await this.settle(pending);
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

  /** Payouts still pending a minute after they were requested (the rail's answer was lost). */
  private stalePending(): Promise<PayoutRow[]> {
    return this.dataSource.query(
      `SELECT ${PAYOUT_COLUMNS} FROM payouts
       WHERE status = 'pending' AND requested_at < now() - interval '1 minute' ORDER BY requested_at LIMIT 1000`,
    );
  }

  /** Payouts newest first, in keyset pages over (requested_at, id): one account's, or everyone's. */
  async list(query: { accountId?: string; status?: PayoutStatus; limit?: number; cursor?: string }) {
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
      (row) => this.view(row),
      (last) => timeIdCursor(last.requested_us, last.id),
    );
  }

  private view(row: PayoutRow) {
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
    };
  }
}
