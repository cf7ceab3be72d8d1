export { CheckoutModule } from './checkout.module.js';
export { CheckoutService, type OrderView } from './checkout.service.js';
