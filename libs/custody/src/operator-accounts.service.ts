import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransaction } from '#database';
import { IdentityService, type Principal } from '#identity';
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

  setFrozen(principal: Principal, accountId: string, frozen: boolean, reason: string) {
    return inTransaction(this.dataSource, async (manager) => {
      const account = await this.identity.setFrozen(manager, accountId, frozen, reason);
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
