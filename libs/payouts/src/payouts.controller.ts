import { Body, Controller, Get, Header, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '#http';
import { CurrentPrincipal, type Principal, Public, Roles, SessionOnly } from '#identity';
import { ConnectedAccountsService } from './connected-accounts.js';
import { EarningsService } from './earnings.js';
import {
  EarningsSalesQuery,
  EarningsView,
  MyPayoutsQuery,
  OperatorPayoutsQuery,
  PayoutOnboardingView,
  PayoutRunView,
  PayoutsPageView,
  PayoutView,
  RequestPayoutDto,
  RunPayoutsDto,
} from './payouts.dto.js';
import { PayoutsService } from './payouts.service.js';

@ApiTags('payouts')
@ApiBearerAuth()
@Controller()
export class PayoutsController {
  constructor(
    private readonly earnings: EarningsService,
    private readonly payouts: PayoutsService,
    private readonly connected: ConnectedAccountsService,
  ) {}

  @Get('me/earnings')
  @ApiOperation({
    summary: 'Your earnings',
    description:
      'Balances per currency, from the money journal: `pending` (sales inside the refund/dispute window), ' +
      '`available` (can be paid out; negative after a refund that came after a payout, repaid by later ' +
      'earnings), in transit and paid out. Then the sales you earned on, newest first — as seller (your ' +
      'proceeds) or as creator of a resold edition (your royalty) — each with its price, platform fee, ' +
      'processor fee, royalty and proceeds. Keyset pages of sales: pass `nextCursor` back as `cursor`.',
  })
  @ApiOkResponse({ type: EarningsView })
  myEarnings(@CurrentPrincipal() principal: Principal, @Query() query: EarningsSalesQuery) {
    return this.earnings.earnings(principal.accountId, query);
  }

  @Post('me/payouts')
  @ApiOperation({
    summary: 'Request a payout',
    description:
      'Pays `amountMinor` of your available balance out. Never more than is available, also when ' +
      'requests race. Retrying with the same `idempotencyKey` answers the same payout; the same key with ' +
      'another amount or currency is 409. A failed payout (`status: failed`) returns its amount to your ' +
      'available balance. With Stripe, payouts are transfers to your Stripe connected account: until you ' +
      'have finished setting it up (POST /me/payouts/onboarding) a request is 409 `payout-onboarding-required`. ' +
      'Sandbox rail: paid at once, except amounts ending in 13 minor units (e.g. 10.13), which fail with ' +
      '`account-closed`.',
  })
  @ApiCreatedResponse({ type: PayoutView, description: 'The payout (the same one for a retried key)' })
  @ApiProblems({
    409: ['idempotency-key-reused', 'payout-onboarding-required'],
    422: ['payout-exceeds-available'],
  })
  requestPayout(@CurrentPrincipal() principal: Principal, @Body() body: RequestPayoutDto) {
    return this.payouts.request(principal.accountId, body);
  }

  @Post('me/payouts/onboarding')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Set up payouts',
    description:
      'With Stripe: makes your Stripe connected account (once) and answers a single-use link to Stripe’s ' +
      'hosted onboarding, where you add the bank account to be paid into; Stripe sends you back to the ' +
      'platform when you are done (or for a fresh link when it expired — ask here again). Once Stripe ' +
      'enables payouts there is no link and `payoutsEnabled` is true. The sandbox rail needs no set-up.',
  })
  @ApiOkResponse({ type: PayoutOnboardingView })
  @ApiProblems({ 503: ['payout-rail-unavailable'] })
  onboard(@CurrentPrincipal() principal: Principal) {
    return this.connected.onboard(principal.accountId);
  }

  @Get('me/payouts/onboarding')
  @ApiOperation({
    summary: 'Your payout set-up',
    description:
      'Whether you can be paid out yet. While Stripe has not enabled payouts, Stripe is asked afresh ' +
      '(its notification may not have arrived yet).',
  })
  @ApiOkResponse({ type: PayoutOnboardingView })
  @ApiProblems({ 503: ['payout-rail-unavailable'] })
  onboarding(@CurrentPrincipal() principal: Principal) {
    return this.connected.status(principal.accountId);
  }

  @Get('me/payouts')
  @ApiOperation({
    summary: 'Your payouts',
    description: 'Newest first. Keyset pages: pass `nextCursor` back as `cursor` with the same `status`.',
  })
  @ApiOkResponse({ type: PayoutsPageView })
  myPayouts(@CurrentPrincipal() principal: Principal, @Query() query: MyPayoutsQuery) {
    return this.payouts.list({ ...query, accountId: principal.accountId });
  }

  @Get('operator/payouts')
  @Roles('operator', 'auditor')
  @ApiOperation({
    summary: 'All payouts',
    description:
      'Every account’s payouts, newest first, optionally of one account or status. A payout pending ' +
      'because the rail did not answer shows its `attempts`, `lastError` and `nextAttemptAt`; it is ' +
      'retried with backoff, and after several failures raised as a `payout-stuck` alert ' +
      '(GET /operator/ledger/alerts). Keyset pages: pass `nextCursor` back as `cursor` with the same filters.',
  })
  @ApiOkResponse({ type: PayoutsPageView })
  allPayouts(@Query() query: OperatorPayoutsQuery) {
    return this.payouts.list(query, { forOperator: true });
  }

  @Post('operator/payouts/run')
  @Roles('operator')
  @SessionOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Pay out every available balance',
    description:
      'One payout per account and currency with a positive available balance (pending earnings stay). ' +
      'Idempotent per `runKey`: running it again pays nobody twice, it resumes an interrupted run and ' +
      'answers every payout of the run. Payouts left pending by a lost rail answer are sent again first. ' +
      'Recorded in the operator trail.',
  })
  @ApiOkResponse({ type: PayoutRunView })
  runPayouts(@CurrentPrincipal() principal: Principal, @Body() body: RunPayoutsDto) {
    return this.payouts.run(principal.accountId, body);
  }
}

/** Where Stripe's hosted onboarding sends the person back; the browser carries no session here. */
@ApiTags('payouts')
@Public()
@Controller('payouts/onboarding')
export class PayoutOnboardingPagesController {
  @ApiExcludeEndpoint()
  @Get('return')
  @Header('content-type', 'text/html; charset=utf-8')
  returned() {
    return page(
      'Payout set-up sent',
      'Stripe has what you gave it. Your payouts start once Stripe enables them — check with GET /me/payouts/onboarding.',
    );
  }

  @ApiExcludeEndpoint()
  @Get('refresh')
  @Header('content-type', 'text/html; charset=utf-8')
  refresh() {
    return page(
      'This set-up link has expired',
      'Ask for a new one (POST /me/payouts/onboarding) and open it to carry on where you left off.',
    );
  }
}

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${text}</p></html>`;
}
