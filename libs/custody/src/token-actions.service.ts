import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { inTransaction } from '#database';
import { problems } from '#http';
import type { Principal } from '#identity';
import { ListingService } from '#market';
import { OwnershipService } from '#minting';
import { recordOperatorAction, type OperatorActionKind } from '#operator-trail';

/**
 * Operators freeze, unfreeze and burn tokens. Each act takes a reason, is recorded in the operator
 * action trail and in the ledger (the entry's ref is the action's), in one transaction. Freezing or
 * burning takes the token off sale at once, even from a buyer's checkout in progress (settlement
 * refunds a payment for an edition no longer on sale).
 */
@Injectable()
export class TokenActionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly listings: ListingService,
    private readonly ownership: OwnershipService,
  ) {}

  freeze(principal: Principal, tokenId: string, reason: string) {
    return this.act(principal, tokenId, 'freeze', reason);
  }

  /** Refused while a dispute over the token's sale is open: the dispute's outcome decides then. */
  unfreeze(principal: Principal, tokenId: string, reason: string) {
    return this.act(principal, tokenId, 'unfreeze', reason, async (manager) => {
      const [disputed] = await manager.query(
        `SELECT id FROM orders WHERE token_id = $1 AND status = 'disputed' LIMIT 1`,
        [tokenId],
      );
      if (disputed) {
        throw problems.conflict(
          'dispute-open',
          'A dispute over this token’s sale is open; its outcome unfreezes the token or reverts the sale',
          { orderId: disputed.id },
        );
      }
    });
  }

  burn(principal: Principal, tokenId: string, reason: string) {
    return this.act(principal, tokenId, 'burn', reason);
  }

  private act(
    principal: Principal,
    tokenId: string,
    type: 'freeze' | 'unfreeze' | 'burn',
    reason: string,
    precondition?: (manager: EntityManager) => Promise<void>,
  ) {
    return inTransaction(this.dataSource, async (manager) => {
      await precondition?.(manager);
      if (type !== 'unfreeze') await this.listings.takeOffSale(manager, [tokenId], 'withdraw');
      const ref = await recordOperatorAction(manager, {
        actorId: principal.accountId,
        action: `token.${type}` satisfies OperatorActionKind,
        subject: { kind: 'token', id: tokenId },
        reason,
      });
      const changed = await this.ownership.change(manager, tokenId, { type, ref });
      return { tokenId, status: changed.status, ownerId: changed.owner, actionRef: ref };
    });
  }
}
