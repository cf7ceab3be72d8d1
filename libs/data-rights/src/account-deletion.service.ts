import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransaction } from '#database';
import { problems } from '#http';
import { IdentityService } from '#identity';
import { forgetNotifications } from '#notifications';
import { forgetWebhooks } from '#webhooks';
import { deletionBlockers } from './deletion-blockers.js';

/**
 * Deletes an account's personal data on its holder's request, in one transaction. The ledger is
 * not touched: its entries name accounts by opaque id only, so it stays intact and verifiable, and
 * the account row stays as a tombstone for the records that name the id.
 */
@Injectable()
export class AccountDeletionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly identity: IdentityService,
  ) {}

  /**
   * Deletes the account once `confirmHandle` names it (422 `confirmation-mismatch`) and it has
   * nothing left to settle (409 `account-not-empty`, with `blockers` saying what to do first).
   */
  async delete(accountId: string, confirmHandle: string): Promise<{ deletedAt: string }> {
    return inTransaction(this.dataSource, async (manager) => {
      await this.identity.lockForDeletion(manager, accountId, confirmHandle);
      const blockers = await deletionBlockers(manager, accountId);
      if (blockers.length > 0) {
        throw problems.conflict(
          'account-not-empty',
          `Your account cannot be deleted yet: ${blockers.map((b) => `${b.whatToDo}.`).join(' ')} Nothing was deleted.`,
          { blockers },
        );
      }
      await forgetNotifications(manager, accountId);
      await forgetWebhooks(manager, accountId);
      return this.identity.eraseAccount(manager, accountId);
    });
  }
}
