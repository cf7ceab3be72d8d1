// Earnings and payouts: reads earnings from the money journal and books payouts through
// libs/settlement's `postAccountJournal`. The only lib that writes `payouts`, `payout_runs` and
// `payout_accounts` (connected accounts on the payout rail).
export { EarningsService, type EarningsBalance } from './earnings.js';
export { ConnectedAccountsService, type OnboardingState } from './connected-accounts.js';
export {
  PayoutRail,
  SandboxPayoutRail,
  type ConnectedAccountState,
  type PayoutOrder,
  type PayoutOutcome,
  type RailOnboarding,
} from './payout-rail.js';
export { PayoutsModule } from './payouts.module.js';
export { PAYOUT_STUCK_ATTEMPTS, PayoutsService } from './payouts.service.js';
export { StripeConnectRail, transferGroupOf, transferIdempotencyKey } from './stripe-connect-rail.js';
