import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '#http';
import { CurrentPrincipal, type Principal, Roles, SessionOnly } from '#identity';
import { EarningsService } from './earnings.js';
import {
  EarningsSalesQuery,
  EarningsView,
  MyPayoutsQuery,
  OperatorPayoutsQuery,
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
      'available balance. Sandbox rail: paid at once, except amounts ending in 13 minor units (e.g. 10.13), ' +
      'which fail with `account-closed`.',
  })
  @ApiCreatedResponse({ type: PayoutView, description: 'The payout (the same one for a retried key)' })
  @ApiProblems({ 409: ['idempotency-key-reused'], 422: ['payout-exceeds-available'] })
  requestPayout(@CurrentPrincipal() principal: Principal, @Body() body: RequestPayoutDto) {
    return this.payouts.request(principal.accountId, body);
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
      'Every account’s payouts, newest first, optionally of one account or status. Keyset pages: pass ' +
      '`nextCursor` back as `cursor` with the same filters.',
  })
  @ApiOkResponse({ type: PayoutsPageView })
  allPayouts(@Query() query: OperatorPayoutsQuery) {
    return this.payouts.list(query);
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
