// Reconciliation for operators and auditors: set-based checks over the money journal, payments,
// payouts, the ledger and the processor's books, as JSON and streamed CSV. Reads other libs'
// tables (journal, orders, payment events, payouts, tokens, ledger entries, the sandbox rail's)
// and, with Stripe, its balance transactions through the payment port; writes no table.
export { ReconciliationModule } from './reconciliation.module.js';
export {
  ReconciliationService,
  type FindingRow,
  type ReconciliationSummary,
} from './reconciliation.service.js';
export { VIEW_NAMES, VIEWS, type ViewName } from './views.js';
