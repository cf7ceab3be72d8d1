import { Module } from '@nestjs/common';
import { IdentityModule } from '#identity';
import { MarketModule } from '#market';
import { MintingModule } from '#minting';
import { OperatorTrailModule } from '#operator-trail';
import { AppealsService } from './appeals.service.js';
import { CustodyController, OperatorCustodyController } from './custody.controller.js';
import { GiftService } from './gift.service.js';
import { HoldingsService } from './holdings.service.js';
import { OperatorAccountsConsoleController } from './operator-accounts.controller.js';
import { OperatorAccountsService } from './operator-accounts.service.js';
import { TokenActionsService } from './token-actions.service.js';

/**
 * Custody: holdings, gifts, operators' freeze / unfreeze / burn, and the operator console for
 * accounts (tables `gifts` and `freeze_appeals`; each operator act recorded in the operator trail). Token rows and ledger
 * entries change through minting's OwnershipService, listings through market, accounts through
 * identity.
 */
@Module({
  imports: [IdentityModule, MarketModule, MintingModule, OperatorTrailModule],
  controllers: [CustodyController, OperatorCustodyController, OperatorAccountsConsoleController],
  providers: [AppealsService, GiftService, HoldingsService, TokenActionsService, OperatorAccountsService],
  exports: [TokenActionsService, HoldingsService],
})
export class CustodyModule {}
