import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { updateReturning } from '#database';
import { DomainError, problems } from '#http';
import type { ConnectedAccountEvent } from '#payments';
import { PayoutRail, type ConnectedAccountState, type RailOnboarding } from './payout-rail.js';

interface PayoutAccountRow {
  account_id: string;
  rail: string;
  connected_account_id: string;
  payouts_enabled: boolean;
  details_submitted: boolean;
}

const COLUMNS = 'account_id, rail, connected_account_id, payouts_enabled, details_submitted';

/** Where the rail's hosted onboarding sends the person back: a fresh link, or done. */
export const ONBOARDING_REFRESH_PATH = '/payouts/onboarding/refresh';
export const ONBOARDING_RETURN_PATH = '/payouts/onboarding/return';

/** An account's onboarding with the payout rail, as answered to it. */
export interface OnboardingState {
  rail: string;
  /** Whether payouts need a connected account on this rail (Stripe Connect yes, sandbox no). */
  onboardingRequired: boolean;
  connectedAccountId: string | null;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  /** The rail's hosted onboarding, single use (only from POST, while payouts are not enabled). */
  onboardingUrl: string | null;
  onboardingUrlExpiresAt: string | null;
}

/**
 * Connected accounts on the payout rail (table `payout_accounts`, written here only): one per
 * account, made on its first onboarding request; its state comes from the rail (read on demand)
 * and from Stripe's `account.updated` events, whichever is newer.
 */
@Injectable()
export class ConnectedAccountsService {
  private readonly logger = new Logger(ConnectedAccountsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly rail: PayoutRail,
    private readonly config: HeirloomConfig,
  ) {}

  /** Makes the account's connected account if it has none, and a fresh onboarding link unless it is done. */
  async onboard(accountId: string): Promise<OnboardingState> {
    const onboarding = this.rail.onboarding;
    if (!onboarding) return this.noOnboarding();
    let row = (await this.find(accountId)) ?? (await this.create(onboarding, accountId));
    if (!row.payouts_enabled) row = await this.refresh(onboarding, row);
    if (row.payouts_enabled) return this.view(row);
    const link = await railCall(() =>
      onboarding.onboardingLink(row.connected_account_id, {
        refreshUrl: `${this.config.publicUrl}${ONBOARDING_REFRESH_PATH}`,
        returnUrl: `${this.config.publicUrl}${ONBOARDING_RETURN_PATH}`,
      }),
    );
    return {
      ...this.view(row),
      onboardingUrl: link.url,
      onboardingUrlExpiresAt: link.expiresAt.toISOString(),
    };
  }

  /** The account's onboarding state, asking the rail while it is not done (the webhook may lag). */
  async status(accountId: string): Promise<OnboardingState> {
    const onboarding = this.rail.onboarding;
    if (!onboarding) return this.noOnboarding();
    let row = await this.find(accountId);
    if (!row) {
      return {
        rail: this.rail.name,
        onboardingRequired: true,
        connectedAccountId: null,
        payoutsEnabled: false,
        detailsSubmitted: false,
        onboardingUrl: null,
        onboardingUrlExpiresAt: null,
      };
    }
    if (!row.payouts_enabled) row = await this.refresh(onboarding, row);
    return this.view(row);
  }

  /**
   * Before a payout is booked: if the account's connected account is not enabled as far as we know,
   * asks the rail (the person may have just finished onboarding). Never throws for the rail being
   * down: the booking then refuses on what is stored.
   */
  async refreshBeforePayout(accountId: string): Promise<void> {
    const onboarding = this.rail.onboarding;
    if (!onboarding) return;
    const row = await this.find(accountId);
    if (!row || row.payouts_enabled) return;
    await this.refresh(onboarding, row).catch((error: unknown) =>
      this.logger.warn({ accountId, error: String(error) }, 'connected account state not read'),
    );
  }

  /**
   * In the payout's transaction: the connected account to pay, or undefined where the rail needs
   * none. `undefined` with `enabled: false` means the account has not finished onboarding.
   */
  async destination(
    manager: EntityManager,
    accountId: string,
  ): Promise<{ enabled: boolean; connectedAccountId?: string }> {
    if (!this.rail.onboarding) return { enabled: true };
    const row = await this.find(accountId, manager);
    return row?.payouts_enabled
      ? { enabled: true, connectedAccountId: row.connected_account_id }
      : { enabled: false };
  }

  /** The connected account a payout goes to (once booked, it was enabled; onboarding never changes it). */
  async connectedAccountOf(accountId: string): Promise<string | undefined> {
    if (!this.rail.onboarding) return undefined;
    return (await this.find(accountId))?.connected_account_id;
  }

  /** The 409 for a payout before onboarding is done. */
  onboardingRequired(): DomainError {
    return problems.conflict(
      'payout-onboarding-required',
      'Finish setting up payouts first: POST /me/payouts/onboarding gives you a link to Stripe, where you ' +
        'add the bank account to be paid into. Ask again once Stripe says you are done.',
      { onboarding: '/me/payouts/onboarding' },
    );
  }

  /**
   * Applies Stripe's `account.updated` (idempotent; an event older than the state stored is
   * ignored, so redeliveries and reordering change nothing). Stripe dates events to the second: an
   * event of the same second as a read applies (either way a wrong state heals: a refused transfer
   * fails the payout, and a request while not enabled asks Stripe again).
   */
  async applyEvent(event: ConnectedAccountEvent): Promise<void> {
    await this.dataSource.query(
      `UPDATE payout_accounts SET payouts_enabled = $2, details_submitted = $3, state_as_of = to_timestamp($4)
       WHERE connected_account_id = $1 AND date_trunc('second', state_as_of) <= to_timestamp($4)`,
      [event.connectedAccountId, event.payoutsEnabled, event.detailsSubmitted, event.created],
    );
  }

  private async create(onboarding: RailOnboarding, accountId: string): Promise<PayoutAccountRow> {
    const state = await railCall(() => onboarding.createAccount(accountId));
    // Concurrent first requests get the same account from Stripe (same idempotency key): one row.
    await this.dataSource.query(
      `INSERT INTO payout_accounts (account_id, rail, connected_account_id, payouts_enabled, details_submitted)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO NOTHING`,
      [accountId, this.rail.name, state.connectedAccountId, state.payoutsEnabled, state.detailsSubmitted],
    );
    const row = await this.find(accountId);
    if (!row) throw new Error(`payout account of ${accountId} vanished`);
    return row;
  }

  private async refresh(onboarding: RailOnboarding, row: PayoutAccountRow): Promise<PayoutAccountRow> {
    const state: ConnectedAccountState = await railCall(() =>
      onboarding.retrieveAccount(row.connected_account_id),
    );
    const [updated] = await updateReturning<PayoutAccountRow>(
      this.dataSource.manager,
      `UPDATE payout_accounts SET payouts_enabled = $2, details_submitted = $3, state_as_of = now()
       WHERE account_id = $1 RETURNING ${COLUMNS}`,
      [row.account_id, state.payoutsEnabled, state.detailsSubmitted],
    );
    return updated ?? row;
  }

  private async find(
    accountId: string,
    manager: Pick<EntityManager, 'query'> = this.dataSource.manager,
  ): Promise<PayoutAccountRow | undefined> {
    const [row]: PayoutAccountRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM payout_accounts WHERE account_id = $1`,
      [accountId],
    );
    return row;
  }

  private view(row: PayoutAccountRow): OnboardingState {
    return {
      rail: row.rail,
      onboardingRequired: true,
      connectedAccountId: row.connected_account_id,
      payoutsEnabled: row.payouts_enabled,
      detailsSubmitted: row.details_submitted,
      onboardingUrl: null,
      onboardingUrlExpiresAt: null,
    };
  }

  private noOnboarding(): OnboardingState {
    return {
      rail: this.rail.name,
      onboardingRequired: false,
      connectedAccountId: null,
      payoutsEnabled: true,
      detailsSubmitted: true,
      onboardingUrl: null,
      onboardingUrlExpiresAt: null,
    };
  }
}

const railLogger = new Logger('PayoutOnboarding');

/** A call to the rail for onboarding; the rail failing is a 503 the person can retry. */
async function railCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    railLogger.warn({ error: String(error) }, 'payout rail call for onboarding failed');
    throw new DomainError(
      'payout-rail-unavailable',
      503,
      'Service unavailable',
      'Stripe could not be reached to set up your payouts. Try again in a moment.',
    );
  }
}
