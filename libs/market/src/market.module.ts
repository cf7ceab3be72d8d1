import { Module } from '@nestjs/common';
import { MintingModule } from '#minting';
import { ListingService } from './listing.service.js';
import { LotteryService } from './lottery.service.js';

/** Listings, drops and lotteries (tables `listings`, `drops`, `drop_entries`). */
@Module({
  imports: [MintingModule],
  providers: [ListingService, LotteryService],
  exports: [ListingService, LotteryService],
})
export class MarketModule {}
