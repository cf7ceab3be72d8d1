import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { inTransaction } from '#database';
import { problems } from '#http';
import type { Principal } from '#identity';
import { ListingService } from '#market';
import { OwnershipService } from '#minting';
import { recordOperatorAction, type OperatorActionKind } from '#operator-trail';
import { notify, tokenNotice } from '#notifications';
import { emitEvents } from '#webhooks';

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
    return this.act(principal, tokenId, 'unfreeze', reason);
  }

  burn(principal: Principal, tokenId: string, reason: string) {
    return this.act(principal, tokenId, 'burn', reason);
  }

  private async ownerOf(manager: EntityManager, tokenId: string): Promise<string | null> {
    const [token]: { owner_id: string | null }[] = await manager.query(
      `SELECT owner_id FROM tokens WHERE id = $1`,
      [tokenId],
    );
    return token?.owner_id ?? null;
  }

  private act(principal: Principal, tokenId: string, type: 'freeze' | 'unfreeze' | 'burn', reason: string) {
    return inTransaction(this.dataSource, (manager) =>
      this.actIn(manager, principal, tokenId, type, reason, `token.${type}`),
    );
  }

  /**
   * `type` applied to the token in the caller's transaction, recorded in the operator trail as
   * `action` (an appeal lifted unfreezes as `appeal.lift`), its owner told.
   */
  async actIn(
    manager: EntityManager,
    principal: Principal,
    tokenId: string,
    type: 'freeze' | 'unfreeze' | 'burn',
    reason: string,
    action: OperatorActionKind,
  ) {
    if (type === 'unfreeze') await assertNoOpenDispute(manager, tokenId);
    else await this.listings.takeOffSale(manager, [tokenId], 'withdraw');
    const ref = await recordOperatorAction(manager, {
      actorId: principal.accountId,
      action,
      subject: { kind: 'token', id: tokenId },
      reason,
    });
    const owner = await this.ownerOf(manager, tokenId);
    const changed = await this.ownership.change(manager, tokenId, { type, ref });
    if (owner) await notify(manager, [tokenNotice(owner, tokenId, type, { reason, actionRef: ref })]);
    if (type === 'freeze') {
      await emitEvents(manager, [
        {
          type: 'token.frozen',
          accountIds: [owner],
          data: { tokenId, ownerId: owner, cause: 'operator', reason, actionRef: ref },
        },
      ]);
    }
    return { tokenId, status: changed.status, ownerId: changed.owner, actionRef: ref };
  }
}

/** A token whose sale is disputed stays frozen until the dispute ends: its outcome decides. */
export async function assertNoOpenDispute(manager: EntityManager, tokenId: string): Promise<void> {
  const [disputed]: { id: string }[] = await manager.query(
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
}
