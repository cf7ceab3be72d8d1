// Settlement: the payment-event inbox, settlement of payments, refunds and payment cancels, and the
// money journal. The only lib that writes `payment_events`, `refund_requests`, `payment_cancels`,
// `journal_entries` and `journal_lines`; it moves orders through libs/orders and listings through
// libs/market. Other libs book order-less entries (payouts) through `postAccountJournal`.
export { accounts as journalAccounts, postAccountJournal, type JournalLine } from './journal.js';
export { ConnectedAccountEvents } from './connected-account-events.js';
export { owePaymentCancels } from './payment-cancels.js';
export { PaymentEventsService } from './payment-events.service.js';
export { RefundService } from './refund.service.js';
export { SettlementModule } from './settlement.module.js';
export { readSaleBreakdown, type SaleBreakdown } from './sale-breakdown.js';
