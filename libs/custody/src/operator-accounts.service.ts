import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransaction } from '#database';
import { problems } from '#http';
import { IdentityService, type Principal } from '#identity';
import { ListingService } from '#market';
import { OperatorTrail, recordOperatorAction, type OperatorActionKind } from '#operator-trail';
import { HoldingsService } from './holdings.service.js';

/** How many holdings and operator actions the account page shows; the rest are a listing away. */
const ACCOUNT_PAGE_ITEMS = 20;

/**
 * The operator console for accounts: the creator application queue and its decisions, search, the
 * account page, freezing. Identity writes the accounts table, in the transaction opened here, so
 * each act and its operator-trail record commit together or not at all.
 */
@Injectable()
export class OperatorAccountsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly identity: IdentityService,
    private readonly holdings: HoldingsService,
    private readonly trail: OperatorTrail,
    private readonly listings: ListingService,
  ) {}

  creatorApplications(query: { limit?: number; cursor?: string }) {
    return this.identity.creatorApplications(query);
  }

  decideCreatorApplication(principal: Principal, accountId: string, approve: boolean, reason: string) {
    return inTransaction(this.dataSource, async (manager) => {
      const account = await this.identity.decideCreatorApplication(manager, accountId, approve, reason);
      const actionRef = await recordOperatorAction(manager, {
        actorId: principal.accountId,
        action: (approve ? 'creator.approve' : 'creator.reject') satisfies OperatorActionKind,
        subject: { kind: 'account', id: accountId },
        reason,
      });
      return { ...account, actionRef };
    });
  }

  search(query: { q: string; limit?: number; cursor?: string }) {
    return this.identity.searchAccounts(query.q, query);
  }

  async accountPage(accountId: string) {
    // First, so an unknown account is a 404 before anything else is read.
    const account = await this.identity.accountRecord(accountId);
    const [holdings, holdingsCount, actions] = await Promise.all([
      this.holdings.list(accountId, { limit: ACCOUNT_PAGE_ITEMS }),
      this.holdings.count(accountId),
      this.trail.list({ subject: accountId, limit: ACCOUNT_PAGE_ITEMS }),
    ]);
    return { ...account, holdingsCount, holdings: holdings.items, actions: actions.items };
  }

  /**
   * Freezing an account also takes everything it has on sale off sale (a checkout in progress
   * included: settlement refunds its payment); unfreezing lists nothing again by itself.
   */
  setFrozen(principal: Principal, accountId: string, frozen: boolean, reason: string) {
    if (frozen && accountId === principal.accountId)
      throw problems.conflict('cannot-freeze-self', 'Operators cannot freeze their own account');
    return inTransaction(this.dataSource, async (manager) => {
      const account = await this.identity.setFrozen(manager, accountId, frozen, reason);
      if (frozen) {
        const onSale: { token_id: string }[] = await manager.query(
          `SELECT token_id FROM listings WHERE seller_id = $1 AND status = 'active'`,
          [accountId],
        );
        await this.listings.takeOffSale(
          manager,
          onSale.map((listing) => listing.token_id),
          'withdraw',
        );
      }
      const actionRef = await recordOperatorAction(manager, {
        actorId: principal.accountId,
        action: (frozen ? 'account.freeze' : 'account.unfreeze') satisfies OperatorActionKind,
        subject: { kind: 'account', id: accountId },
        reason,
      });
      return { ...account, actionRef };
    });
  }
}
