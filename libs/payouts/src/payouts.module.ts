import { Module } from '@nestjs/common';
import { EarningsService } from './earnings.js';
import { PayoutRail, SandboxPayoutRail } from './payout-rail.js';
import { PayoutsController } from './payouts.controller.js';
import { PayoutsService } from './payouts.service.js';

/** Earnings from the money journal and payouts through a rail (the sandbox; Stripe Connect to come). */
@Module({
  controllers: [PayoutsController],
  providers: [EarningsService, PayoutsService, { provide: PayoutRail, useClass: SandboxPayoutRail }],
  exports: [EarningsService],
})
export class PayoutsModule {}
