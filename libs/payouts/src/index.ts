// Earnings and payouts: reads earnings from the money journal and books payouts through
// libs/settlement's `postAccountJournal`. The only lib that writes `payouts` and `payout_runs`.
export { EarningsService, type EarningsBalance } from './earnings.js';
export { PayoutRail, SandboxPayoutRail, type PayoutOrder, type PayoutOutcome } from './payout-rail.js';
export { PayoutsModule } from './payouts.module.js';
