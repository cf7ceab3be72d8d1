import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
  UseFilters,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { HeirloomConfig } from '#config';
import { paymentRailOf } from '#payments';
import { ApiProblems, problems } from '#http';
import { CurrentPrincipal, OptionalPrincipal, type Principal, Public, Roles } from '#identity';
import {
  CreateDropDto,
  CreateListingDto,
  DropsQuery,
  ListingService,
  LotteryService,
  RepriceListingDto,
} from '#market';
import { PaymentEventsService } from '#settlement';
import {
  CheckoutDto,
  MyOrdersQuery,
  OperatorOrdersQuery,
  PayDto,
  ReceiptPageQuery,
  SandboxChallengeDto,
} from './checkout.dto.js';
import { receiptHtml, receiptLanguage } from './receipt-html.js';
import { CheckoutService } from './checkout.service.js';
import {
  CheckoutConfigView,
  DropDetailView,
  DropsPageView,
  DropView,
  EntryView,
  ListingStateView,
  ListingView,
  MyOrdersPageView,
  OperatorOrdersPageView,
  OrderView,
  ReceiptView,
  WebhookReceiptView,
} from './checkout.views.js';
import { OrderHistoryService } from './order-history.service.js';
import { PaymentErrorFilter } from './payment-error.filter.js';
import { renderChallengePage } from './sandbox-page.js';

@ApiTags('checkout')
@ApiBearerAuth()
@UseFilters(PaymentErrorFilter)
@Controller()
export class CheckoutController {
  constructor(
    private readonly checkout: CheckoutService,
    private readonly listings: ListingService,
    private readonly lotteries: LotteryService,
    private readonly history: OrderHistoryService,
    private readonly config: HeirloomConfig,
  ) {}

  /** How a client takes a card on this installation: the rail, and Stripe's publishable key. */
  @Public()
  @Get('checkout/config')
  @ApiOperation({
    summary: 'How to pay by card here',
    description:
      'The card rail in use. On `sandbox`, POST /checkout takes `card` (the test cards); on `stripe`, a ' +
      "browser collects the card with Stripe's Payment Element (Stripe.js and `stripePublishableKey`) and " +
      'sends only its `paymentMethodId`, so card numbers never reach this API.',
  })
  @ApiOkResponse({ type: CheckoutConfigView })
  checkoutConfig(): CheckoutConfigView {
    return {
      rail: paymentRailOf(this.config),
      stripePublishableKey: this.config.stripePublishableKey ?? null,
    };
  }

  /** Reserves an edition and pays for it; answers with the order (and a 3-D Secure step if needed). */
  @Post('checkout')
  @ApiOperation({
    summary: 'Reserve an edition and pay for it',
    description:
      'Reserves one edition: the listing `listingId`, any free edition of the drop `dropId`, or the current ' +
      'offer of the token `tokenId` (its `offer` on GET /catalogue/tokens/{id}). The hold ' +
      'lasts `RESERVATION_TTL_SECONDS` (default 5 minutes; see `reservedUntil`), then the edition goes back ' +
      'on sale. With payment details (`paymentMethodId`, or `card` on the sandbox rail) it pays at once; ' +
      'without them it only reserves (`status` `reserved`) and the client pays with POST /orders/{id}/pay ' +
      '(reserve-then-pay, the Stripe Payment Element flow). Send a fresh `idempotencyKey` per purchase: ' +
      'retrying with the same key answers the same order instead of buying twice; an order still held ' +
      'unpaid (`nextStep` `pay`) is paid by a retry that carries payment details. A 503 ' +
      '`payment-provider-unavailable` names the held `orderId`: pay it with POST /orders/{orderId}/pay ' +
      'and the same payment details before its `reservedUntil`.\n\n' +
      '`status` `requires_action` means 3-D Secure: follow `nextAction` (`redirect_to_url`: send the buyer ' +
      'to `url`; `use_stripe_sdk`: confirm with Stripe.js and `clientSecret`), then read GET /orders/{id}. ' +
      'An account holds at most `MAX_UNPAID_HOLDS` (default 2) unpaid reservations at once: 409 ' +
      '`unpaid-hold-limit` says pay for one or let one expire. A lottery drop sells only after its draw, ' +
      "each winner's edition first. Payment details the rail refuses (400 `payment-request-invalid`) end " +
      'the attempt and release the edition.',
  })
  @ApiCreatedResponse({ type: OrderView, description: 'The order; a retried key answers the same order' })
  @ApiProblems({
    400: ['bad-checkout', 'card-data-refused', 'payment-request-invalid', 'listing-in-drop'],
    403: ['forbidden'],
    404: ['not-found'],
    409: [
      'sold-out',
      'not-available',
      'not-for-sale',
      'own-listing',
      'price-below-minimum',
      'drop-not-started',
      'lottery-not-drawn',
      'buyer-limit-reached',
      'unpaid-hold-limit',
    ],
    503: ['payment-provider-unavailable'],
  })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CheckoutDto) {
    return this.checkout.checkout(principal, body);
  }

  /** Pays for a reserved order (reserve-then-pay checkout). */
  @Post('orders/:id/pay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Pay for a reserved order',
    description:
      'Second step of reserve-then-pay: pays for an order of yours that POST /checkout only reserved, ' +
      'before its `reservedUntil`, or one whose earlier attempt met a 503. Repeating it is harmless: an ' +
      'order already paying, paid or failed is answered as it is. On Stripe, an order awaiting the buyer ' +
      '(`requires_action`) is confirmed with the given `paymentMethodId` (give `returnUrl` for redirect-based ' +
      'methods), or without one answers the PaymentIntent’s `nextAction` and `clientSecret` again. ' +
      '`status` `requires_action` means 3-D Secure: follow `nextAction`, then read GET /orders/{id}. ' +
      'After 409 `reservation-expired` or `order-not-payable`, check out again.',
  })
  @ApiOkResponse({ type: OrderView, description: 'The order, paying, paid or failed' })
  @ApiProblems({
    400: ['card-data-refused', 'payment-request-invalid'],
    404: ['not-found'],
    409: ['order-not-payable', 'reservation-expired'],
    503: ['payment-provider-unavailable'],
  })
  pay(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: PayDto,
  ) {
    return this.checkout.pay(principal, id, body);
  }

  @Get('orders/:id')
  @ApiOperation({
    summary: 'Get an order',
    description:
      'Your own order (operators and auditors may read any). Poll it after a 3-D Secure step or while ' +
      'a payment is settling: the webhook moves it to `paid` or `failed`. `nextStep` says what to do; ' +
      'while it is `authenticate` the buyer (only) gets `nextAction` with the client secret again.',
  })
  @ApiOkResponse({ type: OrderView, description: 'The order' })
  @ApiProblems({ 404: ['not-found'] })
  order(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.checkout.getOrder(principal, id);
  }

  @Get('me/orders')
  @ApiOperation({
    summary: 'List your orders',
    description:
      'Your orders as buyer, newest first, whatever became of them (paid, failed, lapsed, refunded…), ' +
      'optionally only those in one `status`. Each says what to do next (`nextStep`) and, once sold ' +
      'to you, where its receipt is. Keyset pages: pass `nextCursor` back as `cursor` with the same ' +
      '`status`.',
  })
  @ApiOkResponse({ type: MyOrdersPageView })
  myOrders(@CurrentPrincipal() principal: Principal, @Query() query: MyOrdersQuery) {
    return this.history.listMine(principal, query);
  }

  @Get('operator/orders')
  @Roles('operator', 'auditor')
  @ApiOperation({
    summary: 'Find orders (operators and auditors)',
    description:
      "Orders newest first: a buyer's (`buyer`: their handle), a token's (`tokenId`), or all; `status` " +
      'narrows them. How an operator finds the order to refund with POST /operator/orders/{id}/refund.',
  })
  @ApiOkResponse({ type: OperatorOrdersPageView })
  operatorOrders(@Query() query: OperatorOrdersQuery) {
    return this.history.listForOperators(query);
  }

  @Get('orders/:id/receipt')
  @ApiOperation({
    summary: 'Get the receipt of an order',
    description:
      'Your paid order’s receipt (operators and auditors may read any): the edition, seller and ' +
      'buyer, the price and how it was split (platform fee, creator royalty on resales, processor fee, ' +
      'seller proceeds: they add up to the price), the card, refunds so far and the sale’s ledger entry ' +
      'with links to its proof. While `ledger.status` is `pending` the entry is not in the log yet: read ' +
      'the receipt again in a moment. An order that was never paid has none (409 `no-receipt`).',
  })
  @ApiOkResponse({ type: ReceiptView, description: 'The receipt' })
  @ApiProblems({ 404: ['not-found'], 409: ['no-receipt'] })
  receipt(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.history.receipt(principal, id);
  }

  @Get('orders/:id/receipt.html')
  @Header('content-type', 'text/html; charset=utf-8')
  @ApiOperation({
    summary: 'Get the receipt of an order as a printable page',
    description:
      'The same receipt as GET /orders/{id}/receipt, as an HTML page to print or keep, in English or ' +
      'Simplified Chinese (`lang`, else Accept-Language), amounts formatted for the language.',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({
    description: 'The receipt page',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiProblems({ 404: ['not-found'], 409: ['no-receipt'] })
  async receiptPage(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ReceiptPageQuery,
    @Req() request: FastifyRequest,
  ) {
    const language = receiptLanguage(query.lang, request.headers['accept-language']);
    return receiptHtml(await this.history.receipt(principal, id), language);
  }

  @Post('listings')
  @ApiOperation({
    summary: 'List a token you own for sale',
    description:
      'A primary listing while the creator still holds the token, else a resale, which the collection ' +
      'must allow after its hold period. A token has one active listing at a time.',
  })
  @ApiCreatedResponse({ type: ListingView, description: 'The new listing' })
  @ApiProblems({
    403: ['forbidden'],
    404: ['not-found'],
    409: ['token-state', 'resale-not-allowed', 'hold-period', 'already-listed'],
    422: ['price-below-minimum'],
  })
  list(@CurrentPrincipal() principal: Principal, @Body() body: CreateListingDto) {
    return this.listings.createListing(principal, body);
  }

  @Post('listings/:id/withdraw')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Take your listing off sale',
    description:
      'The token stays yours and can be listed again. Refused while a buyer’s checkout holds the listing ' +
      '(409 `listing-reserved`, with `heldUntil`). Withdrawing an edition of a drop takes it out of the drop.',
  })
  @ApiOkResponse({ type: ListingStateView, description: 'The listing, now withdrawn' })
  @ApiProblems({ 403: ['forbidden'], 404: ['not-found'], 409: ['listing-not-active', 'listing-reserved'] })
  withdrawListing(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.listings.withdraw(principal, id);
  }

  @Patch('listings/:id')
  @ApiOperation({
    summary: 'Change the price of your listing',
    description:
      'In the listing’s currency. A checkout already holding the listing pays the price its order was made ' +
      'at. Editions of a drop keep the drop’s price (409 `drop-price`).',
  })
  @ApiOkResponse({ type: ListingStateView, description: 'The listing at its new price' })
  @ApiProblems({
    403: ['forbidden'],
    404: ['not-found'],
    409: ['listing-not-active', 'drop-price'],
    422: ['price-below-minimum'],
  })
  repriceListing(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: RepriceListingDto,
  ) {
    return this.listings.reprice(principal, id, body);
  }

  @Roles('creator')
  @Post('drops')
  @ApiOperation({
    summary: 'Start a drop of your collection',
    description:
      'Every unlisted edition of the collection you still hold goes on sale at one price from ' +
      '`startsAt`. `first-come` sells to whoever checks out first; `lottery` takes entries from ' +
      '`startsAt` until `entriesCloseAt` and publishes `seedHash` (SHA-256 of a secret seed) now, ' +
      'before any entry, so the draw can be verified.',
  })
  @ApiCreatedResponse({ type: DropView, description: 'The new drop' })
  @ApiProblems({
    400: ['bad-drop'],
    403: ['forbidden'],
    404: ['not-found'],
    409: ['nothing-to-drop'],
    422: ['price-below-minimum'],
  })
  createDrop(@CurrentPrincipal() principal: Principal, @Body() body: CreateDropDto) {
    return this.listings.createDrop(principal, body);
  }

  @Public()
  @Get('drops')
  @ApiOperation({
    summary: 'List drops',
    description:
      '`upcoming`: not started yet, soonest first (their editions cannot be bought before `startsAt`); ' +
      '`live`: started with editions left; `ended`: started and sold out. Live and ended: latest start ' +
      'first. Keyset pages: pass `nextCursor` back as `cursor` with the same `state`.',
  })
  @ApiOkResponse({ type: DropsPageView })
  drops(@Query() query: DropsQuery) {
    return this.listings.listDrops({ ...query, state: query.state ?? 'live' });
  }

  /** A drop's public view: counts and the draw's data, never account ids; a signed-in caller also sees their entry. */
  @Public()
  @Get('drops/:id')
  @ApiOperation({
    summary: 'Get a drop',
    description:
      'Counts, price and timing, and for a lottery everything needed to verify its draw, never account ' +
      "ids: every entry's ticket, the winning tickets (best first) and, once drawn, the seed. To verify: " +
      'check SHA-256(seed) = `seedHash`, rank the tickets by SHA-256(seed bytes ‖ ticket bytes) (hex ' +
      'decoded), lowest first; the first `winnerCount` are `winningTickets`. A signed-in caller also sees ' +
      '`yourEntry`.',
  })
  @ApiOkResponse({ type: DropDetailView, description: 'The drop' })
  @ApiProblems({ 404: ['not-found'] })
  drop(@OptionalPrincipal() principal: Principal | undefined, @Param('id', ParseUUIDPipe) id: string) {
    return this.lotteries.view(id, principal);
  }

  @Post('drops/:id/entries')
  @ApiOperation({
    summary: 'Enter a lottery drop',
    description:
      'While its entry window is open (`startsAt` to `entriesCloseAt`). Answers your random ticket; ' +
      'entering again is the same entry with the same ticket. The creator cannot enter their own drop. ' +
      "After the draw, winners check out with POST /checkout and the drop's `dropId`; each winner's " +
      'edition is kept for them for `LOTTERY_CLAIM_SECONDS` (default 24 hours).',
  })
  @ApiCreatedResponse({ type: EntryView, description: 'Your entry' })
  @ApiProblems({ 403: ['own-drop'], 404: ['not-found'], 409: ['not-a-lottery', 'entries-closed'] })
  enter(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.lotteries.enter(principal, id);
  }

  @Post('drops/:id/draw')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Draw a lottery drop',
    description:
      "By the drop's creator or an operator, once entries have closed. Ranks the tickets with the " +
      'committed seed, reveals the seed and allocates one edition per winner. Drawing again answers the ' +
      'same result. Verify it as described for GET /drops/{id}.',
  })
  @ApiOkResponse({ type: DropDetailView, description: 'The drawn drop' })
  @ApiProblems({ 403: ['forbidden'], 404: ['not-found'], 409: ['not-a-lottery', 'entries-open'] })
  draw(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.lotteries.draw(principal, id);
  }
}

/** Stripe (and the sandbox rail) deliver signed events here; the raw body is what is signed. */
@ApiTags('webhooks')
@Public()
@Controller('webhooks')
export class WebhookController {
  constructor(private readonly events: PaymentEventsService) {}

  @Post('stripe')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Receive a payment event',
    description:
      'For Stripe (and the sandbox rail) only: the body must be the raw event signed in the ' +
      '`Stripe-Signature` header. Each event is stored once by id and then applied; a repeated delivery ' +
      'is acknowledged with `duplicate: true` and changes nothing.',
  })
  @ApiBody({ description: 'The provider’s event, byte for byte as signed', schema: { type: 'object' } })
  @ApiOkResponse({ type: WebhookReceiptView, description: 'The event was stored (or had been)' })
  @ApiProblems({ 400: ['invalid-webhook'] })
  receive(@Req() request: FastifyRequest & { rawBody?: Buffer }) {
    if (!request.rawBody) throw problems.badRequest('invalid-webhook', 'Expected a JSON body');
    return this.events.receive(
      request.rawBody,
      request.headers['stripe-signature'] as string | undefined,
      request.headers['content-type'],
    );
  }
}

/** The sandbox rail's 3-D Secure challenge, standing in for the card issuer's page. */
@ApiTags('sandbox')
@Public()
@UseFilters(PaymentErrorFilter)
@Controller('sandbox/3ds')
export class SandboxChallengeController {
  constructor(private readonly checkout: CheckoutService) {}

  @ApiExcludeEndpoint()
  @Get(':paymentId')
  @Header('content-type', 'text/html; charset=utf-8')
  page(@Param('paymentId') paymentId: string) {
    return renderChallengePage(paymentId);
  }

  @Post(':paymentId')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Complete a sandbox 3-D Secure challenge',
    description:
      "Sandbox rail only, standing in for the card issuer's page that `nextAction.url` points to: " +
      '`approve: true` pays the order, `false` fails it (`declineCode` `authentication_failed`). Repeating ' +
      'it answers the first result.',
  })
  @ApiOkResponse({ type: OrderView, description: 'The order after the challenge' })
  @ApiProblems({ 404: ['not-found'] })
  complete(@Param('paymentId') paymentId: string, @Body() body: SandboxChallengeDto) {
    return this.checkout.completeChallenge(paymentId, body.approve);
  }
}
