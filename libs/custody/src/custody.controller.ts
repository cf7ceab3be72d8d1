import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TokenIdParam } from '#catalogue';
import { ApiProblems } from '#http';
import { CurrentPrincipal, type Principal, Roles } from '#identity';
import {
  GiftDto,
  GiftView,
  HoldingsPageView,
  HoldingsQuery,
  ReasonDto,
  TokenActionView,
} from './custody.dto.js';
import {
  AppealDto,
  AppealIdParam,
  AppealsPageView,
  AppealsQuery,
  AppealView,
  DecideAppealDto,
  MyAppealsQuery,
} from './appeals.dto.js';
import { AppealsService } from './appeals.service.js';
import { GiftService } from './gift.service.js';
import { HoldingsService } from './holdings.service.js';
import { TokenActionsService } from './token-actions.service.js';

@ApiTags('custody')
@ApiBearerAuth()
@Controller()
export class CustodyController {
  constructor(
    private readonly gifts: GiftService,
    private readonly holdings: HoldingsService,
    private readonly appeals: AppealsService,
  ) {}

  @Get('me/holdings')
  @ApiOperation({
    summary: 'What you hold',
    description:
      'Your tokens (not burned), newest mint first, with the listing of those on sale and the path of ' +
      'each one’s ownership certificate. Keyset pages: pass `nextCursor` back as `cursor`.',
  })
  @ApiOkResponse({ type: HoldingsPageView })
  holdingsOf(@CurrentPrincipal() principal: Principal, @Query() query: HoldingsQuery) {
    return this.holdings.list(principal.accountId, query);
  }

  @Post('tokens/:id/gift')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Give a token you own to another account',
    description:
      'Under the collection’s policy: gifts allowed (409 `gifts-not-allowed`), after the hold period since ' +
      'you acquired it (409 `hold-period`, with `allowedFrom`), both sides real-name verified where the ' +
      'collection requires it (409 `real-name-required`). The token leaves the market and the ledger records ' +
      'a `transfer`. Send a fresh `idempotencyKey` per gift: a retry with the same key answers the same gift.',
  })
  @ApiOkResponse({ type: GiftView })
  @ApiProblems({
    403: ['forbidden'],
    404: ['not-found'],
    409: [
      'token-state',
      'gifts-not-allowed',
      'hold-period',
      'real-name-required',
      'listing-reserved',
      'idempotency-key-reused',
      'ledger-mismatch',
    ],
    422: ['gift-to-self'],
  })
  gift(@CurrentPrincipal() principal: Principal, @Param() params: TokenIdParam, @Body() body: GiftDto) {
    return this.gifts.gift(principal, params.id, body);
  }

  @Post('tokens/:id/appeals')
  @ApiOperation({
    summary: 'Appeal the freeze of a token you own',
    description:
      'An operator decides: lifts the freeze (the token is unfrozen) or upholds it, with a reason; you are ' +
      'notified. One appeal per token at a time (409 `appeal-open`). A token frozen because the card payment ' +
      'for its sale is disputed waits for the dispute instead (409 `dispute-open`).',
  })
  @ApiOkResponse({ type: AppealView })
  @ApiProblems({ 403: ['forbidden'], 404: ['not-found'], 409: ['not-frozen', 'dispute-open', 'appeal-open'] })
  appeal(@CurrentPrincipal() principal: Principal, @Param() params: TokenIdParam, @Body() body: AppealDto) {
    return this.appeals.appeal(principal, params.id, body.message);
  }

  @Get('me/appeals')
  @ApiOperation({ summary: 'Your appeals and their decisions', description: 'Newest first; keyset pages.' })
  @ApiOkResponse({ type: AppealsPageView })
  myAppeals(@CurrentPrincipal() principal: Principal, @Query() query: MyAppealsQuery) {
    return this.appeals.mine(principal.accountId, query);
  }
}

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator')
@Controller('operator')
export class OperatorCustodyController {
  constructor(
    private readonly tokens: TokenActionsService,
    private readonly appeals: AppealsService,
  ) {}

  @Post('tokens/:id/freeze')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Freeze a token',
    description:
      'The token can no longer be sold, listed or given; it is taken off sale at once. The reason goes to ' +
      'the operator action trail; the ledger records a `freeze` whose ref is the action’s.',
  })
  @ApiOkResponse({ type: TokenActionView })
  @ApiProblems({ 404: ['not-found'], 409: ['token-state', 'ledger-mismatch'] })
  freeze(@CurrentPrincipal() principal: Principal, @Param() params: TokenIdParam, @Body() body: ReasonDto) {
    return this.tokens.freeze(principal, params.id, body.reason);
  }

  @Post('tokens/:id/unfreeze')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Unfreeze a token',
    description:
      'Refused while a dispute over its sale is open (409 `dispute-open`): the dispute’s outcome decides. ' +
      'The token is not listed again by itself.',
  })
  @ApiOkResponse({ type: TokenActionView })
  @ApiProblems({ 404: ['not-found'], 409: ['token-state', 'dispute-open', 'ledger-mismatch'] })
  unfreeze(@CurrentPrincipal() principal: Principal, @Param() params: TokenIdParam, @Body() body: ReasonDto) {
    return this.tokens.unfreeze(principal, params.id, body.reason);
  }

  @Post('tokens/:id/burn')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Burn a token',
    description:
      'For good: the token has no owner any more and is taken off sale. The ledger records a `burn`.',
  })
  @ApiOkResponse({ type: TokenActionView })
  @ApiProblems({ 404: ['not-found'], 409: ['token-state', 'ledger-mismatch'] })
  burn(@CurrentPrincipal() principal: Principal, @Param() params: TokenIdParam, @Body() body: ReasonDto) {
    return this.tokens.burn(principal, params.id, body.reason);
  }

  @Get('appeals')
  @Roles('operator', 'auditor')
  @ApiOperation({
    summary: 'Appeals of freezes',
    description:
      'By status: `open` (the default) oldest first, to answer in turn; decided ones newest first.',
  })
  @ApiOkResponse({ type: AppealsPageView })
  listAppeals(@Query() query: AppealsQuery) {
    return this.appeals.list(query);
  }

  @Post('appeals/:id/decide')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Decide an appeal',
    description:
      '`lift` unfreezes the token (the ledger records an `unfreeze` whose ref is the decision’s); `uphold` ' +
      'keeps it frozen. The reason goes to the operator trail and to the owner.',
  })
  @ApiOkResponse({ type: AppealView })
  @ApiProblems({
    404: ['not-found'],
    409: ['appeal-decided', 'dispute-open', 'token-state', 'ledger-mismatch'],
  })
  decideAppeal(
    @CurrentPrincipal() principal: Principal,
    @Param() params: AppealIdParam,
    @Body() body: DecideAppealDto,
  ) {
    return this.appeals.decide(principal, params.id, body.decision, body.reason);
  }
}
