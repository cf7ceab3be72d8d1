// Custody: what accounts hold, gifts between them, and operators' acts on tokens (recorded in the
// operator trail). The only lib that writes `gifts`.
export { CustodyModule } from './custody.module.js';
export { GiftService } from './gift.service.js';
export { HoldingsService } from './holdings.service.js';
export { TokenActionsService } from './token-actions.service.js';
