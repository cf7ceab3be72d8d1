import { Module } from '@nestjs/common';
import { ContentModule } from '#content';
import { LedgerModule } from '#ledger';
import { CollectionService } from './collection.service.js';
import { CollectionsController } from './minting.controller.js';
import { MintService } from './mint.service.js';
import { TokenOwnershipReader } from './ownership-reader.js';
import { OwnershipService } from './ownership.service.js';
import { TokenPricing } from './token-pricing.service.js';

@Module({
  imports: [LedgerModule, ContentModule],
  controllers: [CollectionsController],
  providers: [CollectionService, MintService, TokenOwnershipReader, OwnershipService, TokenPricing],
  exports: [CollectionService, MintService, TokenOwnershipReader, OwnershipService, TokenPricing],
})
export class MintingModule {}
