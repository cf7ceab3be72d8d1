import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ListingService, LotteryService, OwnEntry } from '#market';
import { CURRENCIES } from '#money';
import { nextStepOf, ORDER_TRANSITIONS, type NextStep, type OrderRow } from '#orders';
import type { PaymentOutcome } from '#payments';
import type { PaymentEventsService } from '#settlement';
import type { OrderHistoryService, ReceiptLedger } from './order-history.service.js';

// The response schemas of the checkout routes. Each view implements what its service answers, so a
// field the service gains or changes fails the type check here instead of drifting from the docs.
// An order's answer is built here too (`toOrderView`), next to the class that documents it.

type Answer<T extends (...args: never[]) => unknown> = Awaited<ReturnType<T>>;
type ListingShape = Answer<ListingService['createListing']>;
type DropShape = Answer<ListingService['getDrop']>;
type ListingStateShape = Answer<ListingService['withdraw']>;
/** The drop view with its tickets; `yourEntry` is added for a signed-in caller only. */
type DropDetailShape = Omit<Answer<LotteryService['view']>, 'yourEntry'>;
type EntryShape = Answer<LotteryService['enter']>;
type WebhookReceiptShape = Answer<PaymentEventsService['receive']>;
type MyOrderShape = Answer<OrderHistoryService['listMine']>['items'][number];
type ReceiptShape = Answer<OrderHistoryService['receipt']>;
type OrderTokenShape = MyOrderShape['token'];
type ReceiptBreakdownShape = ReceiptShape['breakdown'];

/** An order as the API answers it. */
export interface OrderShape {
  orderId: string;
  status: OrderRow['status'];
  tokenId: string;
  listingId: string;
  amountMinor: number;
  currency: string;
  reservedUntil: string;
  paymentId: string | null;
  declineCode: string | null;
  card: { brand: string; last4: string } | null;
  nextAction?: { type: string; url?: string; clientSecret?: string };
  nextStep: NextStep;
  payUrl?: string;
}

export function toOrderView(order: OrderRow, nextAction?: OrderShape['nextAction']): OrderShape {
  return {
    orderId: order.id,
    status: order.status,
    tokenId: order.token_id,
    listingId: order.listing_id,
    amountMinor: Number(order.amount_minor),
    currency: order.currency,
    reservedUntil: new Date(order.reserved_until).toISOString(),
    paymentId: order.payment_id,
    declineCode: order.decline_code,
    card: order.card_brand && order.card_last4 ? { brand: order.card_brand, last4: order.card_last4 } : null,
    ...(nextAction ? { nextAction } : {}),
    ...nextStepView(order),
  };
}

/** `nextStep`, with `payUrl` when it is `pay`. */
export function nextStepView(
  order: Pick<OrderRow, 'id' | 'status' | 'payment_id' | 'reserved_until'>,
): Pick<OrderShape, 'nextStep' | 'payUrl'> {
  const nextStep = nextStepOf(order);
  return nextStep === 'pay' ? { nextStep, payUrl: `/orders/${order.id}/pay` } : { nextStep };
}

/** The browser's next action for a payment awaiting the buyer, if that is what the outcome says. */
export function nextActionOf(outcome: PaymentOutcome): OrderShape['nextAction'] {
  if (outcome.status !== 'requires_action') return undefined;
  return { type: outcome.nextAction.type, url: outcome.nextAction.url, clientSecret: outcome.clientSecret };
}

export class OrderCardView implements NonNullable<OrderShape['card']> {
  @ApiProperty({ example: 'visa' }) brand!: string;
  @ApiProperty({ example: '4242' }) last4!: string;
}

export class NextActionView implements NonNullable<OrderShape['nextAction']> {
  @ApiProperty({
    enum: ['redirect_to_url', 'use_stripe_sdk'],
    description:
      '`redirect_to_url`: send the buyer to `url` (the issuer’s 3-D Secure page); ' +
      '`use_stripe_sdk`: confirm the payment in the browser with Stripe.js and `clientSecret`',
  })
  type!: string;
  @ApiPropertyOptional({ description: 'redirect_to_url only' }) url?: string;
  @ApiPropertyOptional({ description: 'The PaymentIntent’s client secret, for Stripe.js' })
  clientSecret?: string;
}

export class OrderView implements OrderShape {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({
    enum: Object.keys(ORDER_TRANSITIONS),
    description:
      '`reserved`: the edition is held for you until `reservedUntil` (see `nextStep`); ' +
      '`requires_action`: follow `nextAction`; `paid`: the token is yours; `failed`: see `declineCode`, ' +
      'the edition was released; `expired`: the hold lapsed unpaid',
  })
  status!: OrderShape['status'];
  @ApiProperty() tokenId!: string;
  @ApiProperty({ format: 'uuid' }) listingId!: string;
  @ApiProperty({ type: 'integer', description: 'Integer minor units' }) amountMinor!: number;
  @ApiProperty({ enum: CURRENCIES }) currency!: string;
  @ApiProperty({ format: 'date-time', description: 'The hold lapses at this time unless paid' })
  reservedUntil!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The provider’s payment id; null until paying (kept when the payment failed)',
  })
  paymentId!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'card_declined',
    description:
      'Why the order failed: card_declined, insufficient_funds, expired_card, incorrect_cvc, ' +
      'incorrect_number, authentication_failed, processing_error, payment_request_invalid or canceled',
  })
  declineCode!: string | null;
  @ApiProperty({ type: () => OrderCardView, nullable: true, description: 'The card that paid' })
  card!: OrderCardView | null;
  @ApiPropertyOptional({
    type: () => NextActionView,
    description:
      'Only while `status` is `requires_action`, to the buyer: what the browser needs to finish paying ' +
      '(on Stripe read again from the PaymentIntent on every GET /orders/{id}, so a reloaded page can go on)',
  })
  nextAction?: NextActionView;
  @ApiProperty({
    enum: ['pay', 'authenticate', 'wait', 'none'],
    description:
      'What the client must do next. `pay`: the edition is held but nothing is paying for it yet (a ' +
      'reserve-only checkout, or one cut short by a crash or a 503): POST `payUrl` with payment details ' +
      'before `reservedUntil` (a checkout retried with the same key and payment details pays it too). ' +
      '`authenticate`: finish 3-D Secure or the Payment Element with `nextAction` (GET /orders/{id} ' +
      'gives it again), or POST /orders/{id}/pay with a `paymentMethodId` to confirm server-side. ' +
      '`wait`: a payment is settling; read the order again. `none`: paid, failed, lapsed or refunded.',
  })
  nextStep!: OrderShape['nextStep'];
  @ApiPropertyOptional({
    example: '/orders/7d0c0b7e-0000-4000-8000-000000000000/pay',
    description: 'Only when `nextStep` is `pay`: where to pay',
  })
  payUrl?: string;
}

export class ListingView implements ListingShape {
  @ApiProperty({ format: 'uuid' }) listingId!: string;
  @ApiProperty() tokenId!: string;
  @ApiProperty({ type: 'integer', description: 'Integer minor units' }) priceMinor!: number;
  @ApiProperty({ enum: CURRENCIES }) currency!: string;
}

export class DropsPageView {
  @ApiProperty({ type: () => [DropView] }) items!: DropView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}

export class ListingStateView extends ListingView implements ListingStateShape {
  @ApiProperty({ enum: ['primary', 'resale'] }) kind!: ListingStateShape['kind'];
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The drop it is an edition of' })
  dropId!: string | null;
  @ApiProperty({ enum: ['active', 'sold', 'withdrawn'] }) status!: ListingStateShape['status'];
}

export class DropView implements DropShape {
  @ApiProperty({ format: 'uuid' }) dropId!: string;
  @ApiProperty({ format: 'uuid' }) collectionId!: string;
  @ApiProperty({ type: 'integer', description: 'Price per edition, integer minor units' })
  priceMinor!: number;
  @ApiProperty({ enum: CURRENCIES }) currency!: string;
  @ApiProperty({ format: 'date-time' }) startsAt!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: no per-buyer limit of the drop' })
  perBuyerLimit!: number | null;
  @ApiProperty({ enum: ['first-come', 'lottery'] }) mode!: string;
  @ApiProperty({ type: 'integer', description: 'Editions in the drop' }) editions!: number;
  @ApiProperty({ type: 'integer', description: 'Editions not sold yet' }) available!: number;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Lottery: entries close at this time',
  })
  entriesCloseAt!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Lottery: SHA-256 of the seed (hex), published before any entry',
  })
  seedHash!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Lottery: the seed (hex), revealed at the draw; null before it',
  })
  seed!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) drawnAt!: string | null;
}

export class OwnEntryView implements OwnEntry {
  @ApiProperty() entered!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Your ticket (hex)' }) ticket!: string | null;
  @ApiProperty({
    type: Boolean,
    nullable: true,
    description: 'null before the draw (and when not entered); prefer `status`',
  })
  won!: boolean | null;
  @ApiProperty({
    enum: ['not-entered', 'pending', 'won', 'not-drawn'],
    description:
      '`not-entered`: you have no entry; `pending`: entered, the draw has not happened yet; `won`: your ' +
      'ticket was drawn, check out with the drop’s `dropId` before `claimUntil`; `not-drawn`: the draw ' +
      'is over and your ticket was not drawn (nothing was charged)',
  })
  status!: OwnEntry['status'];
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      '`won` only: your edition is kept for you until this time; null once you have bought it or the time has passed',
  })
  claimUntil!: string | null;
}

export class DropDetailView extends DropView implements DropDetailShape {
  @ApiProperty({ type: 'integer' }) entrantCount!: number;
  @ApiProperty({ type: 'integer' }) winnerCount!: number;
  @ApiProperty({ type: [String], description: 'Every entry’s ticket (hex), in ticket order' })
  tickets!: string[];
  @ApiProperty({ type: [String], description: 'The winning tickets, best first; empty before the draw' })
  winningTickets!: string[];
  @ApiPropertyOptional({
    type: () => OwnEntryView,
    description: 'A lottery seen by a signed-in caller: their own entry',
  })
  yourEntry?: OwnEntryView;
}

export class EntryView implements EntryShape {
  @ApiProperty({ format: 'uuid' }) dropId!: string;
  @ApiProperty() entered!: boolean;
  @ApiProperty({ description: 'Your ticket (hex); entering again answers the same one' }) ticket!: string;
}

export class WebhookReceiptView implements WebhookReceiptShape {
  @ApiProperty({ type: Boolean, enum: [true] }) received!: true;
  @ApiProperty({ description: 'true: this event id was received before (nothing was applied again)' })
  duplicate!: boolean;
}

export class OrderTokenView implements OrderTokenShape {
  @ApiProperty() tokenId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer', description: 'This edition’s number: 3 in “3 of 10”' })
  editionNumber!: number;
  @ApiProperty({ type: 'integer', description: 'Editions of the piece: 10 in “3 of 10”' })
  editionTotal!: number;
}

export class MyOrderView implements MyOrderShape {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({ type: () => OrderTokenView }) token!: OrderTokenView;
  @ApiProperty({ type: 'integer', description: 'Integer minor units' }) amountMinor!: number;
  @ApiProperty({ enum: CURRENCIES }) currency!: string;
  @ApiProperty({ enum: Object.keys(ORDER_TRANSITIONS), description: 'As on GET /orders/{id}' })
  status!: MyOrderShape['status'];
  @ApiProperty({ enum: ['pay', 'authenticate', 'wait', 'none'], description: 'As on GET /orders/{id}' })
  nextStep!: MyOrderShape['nextStep'];
  @ApiPropertyOptional({ description: 'Only when `nextStep` is `pay`: where to pay' }) payUrl?: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: never paid' })
  paidAt!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '/orders/7d0c0b7e-0000-4000-8000-000000000000/receipt',
    description: 'Paid, refunded or disputed orders that were sold to you: GET this path for the receipt',
  })
  receipt!: string | null;
}

export class MyOrdersPageView {
  @ApiProperty({ type: () => [MyOrderView] }) items!: MyOrderView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}

export class OperatorOrderView {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({ type: () => OrderTokenView }) token!: OrderTokenView;
  @ApiProperty() buyerHandle!: string;
  @ApiProperty() sellerHandle!: string;
  @ApiProperty({ type: 'integer', description: 'Integer minor units' }) amountMinor!: number;
  @ApiProperty({ enum: CURRENCIES }) currency!: string;
  @ApiProperty({ enum: Object.keys(ORDER_TRANSITIONS) }) status!: MyOrderShape['status'];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: never paid' })
  paidAt!: string | null;
}

export class OperatorOrdersPageView {
  @ApiProperty({ type: () => [OperatorOrderView] }) items!: OperatorOrderView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}

export class ReceiptBreakdownView implements ReceiptBreakdownShape {
  @ApiProperty({ type: 'integer', description: 'The platform’s fee, integer minor units' })
  platformFeeMinor!: number;
  @ApiProperty({
    type: 'integer',
    description: 'The creator’s royalty: resales only (0 on a primary sale, where the creator is the seller)',
  })
  royaltyMinor!: number;
  @ApiProperty({ type: 'integer', description: 'What the card processor kept' }) processorFeeMinor!: number;
  @ApiProperty({ type: 'integer', description: 'What the seller is paid' }) sellerProceedsMinor!: number;
}

export class ReceiptLedgerView implements ReceiptLedger {
  @ApiProperty({
    enum: ['pending', 'integrated'],
    description:
      '`pending`: the sale is recorded but not yet in the published log (usually for under a second); ' +
      'read the receipt again for its index. `integrated`: the sale is entry `index` of the log',
  })
  status!: ReceiptLedger['status'];
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'The sale entry’s log index; null while pending',
  })
  index!: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '/ledger/proof/inclusion?index=42&size=57',
    description: 'GET it for the inclusion proof of the sale entry in the tree of `size`; null while pending',
  })
  proof!: string | null;
  @ApiProperty({
    example: '/ledger/tokens/tok_3q2Zk1m0aB4xY7cD/history',
    description: 'GET it for the token’s whole ledger history, each entry with its proof',
  })
  history!: string;
}

export class ReceiptView implements ReceiptShape {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({ enum: ['paid', 'refunded', 'disputed'], description: 'The order’s status now' })
  status!: ReceiptShape['status'];
  @ApiProperty({ type: () => OrderTokenView }) token!: OrderTokenView;
  @ApiProperty({ example: 'ada' }) sellerHandle!: string;
  @ApiProperty({ example: 'grace' }) buyerHandle!: string;
  @ApiProperty({ type: 'integer', description: 'The price paid, integer minor units' }) amountMinor!: number;
  @ApiProperty({ enum: CURRENCIES }) currency!: string;
  @ApiProperty({
    type: () => ReceiptBreakdownView,
    description:
      'How the price was split, as the money journal booked the sale, in `currency`: ' +
      'amountMinor = platformFeeMinor + royaltyMinor + processorFeeMinor + sellerProceedsMinor',
  })
  breakdown!: ReceiptBreakdownView;
  @ApiProperty({ type: () => OrderCardView, nullable: true, description: 'The card that paid' })
  card!: OrderCardView | null;
  @ApiProperty({ format: 'date-time' }) paidAt!: string;
  @ApiProperty({ type: 'integer', description: 'Refunded to the card so far, integer minor units' })
  refundedMinor!: number;
  @ApiProperty({ type: () => ReceiptLedgerView, description: 'The sale’s entry in the ownership ledger' })
  ledger!: ReceiptLedgerView;
}

export class CheckoutConfigView {
  @ApiProperty({
    enum: ['sandbox', 'stripe'],
    description:
      '`sandbox`: pay with `card` (test cards); `stripe`: collect the card with Stripe.js and pay with `paymentMethodId`',
  })
  rail!: 'sandbox' | 'stripe';
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "Stripe only: the publishable key to load Stripe's Payment Element with; null when not configured",
  })
  stripePublishableKey!: string | null;
}
