export { CheckoutModule } from './checkout.module.js';
export { CheckoutService, type OrderView } from './checkout.service.js';
export { ListingService } from './listing.service.js';
export { drawWinners, newTicket, seedCommitment } from './lottery.js';
export { LotteryService } from './lottery.service.js';
export { PaymentEventsService } from './payment-events.service.js';
export { RefundService } from './refund.service.js';
