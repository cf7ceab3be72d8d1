import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '#http';
import { CurrentPrincipal, type Principal, Roles, SessionOnly } from '#identity';
import { ReasonDto } from './custody.dto.js';
import {
  AccountActionView,
  AccountIdParam,
  AccountPageView,
  AccountSearchPageView,
  AccountSearchQuery,
  ApplicantParam,
  CreatorApplicationsPageView,
  CreatorApplicationsQuery,
} from './operator-accounts.dto.js';
import { OperatorAccountsService } from './operator-accounts.service.js';

/** The operator console for accounts; every decision and freeze is recorded in the operator trail. */
@ApiTags('operator')
@ApiBearerAuth()
@Controller('operator')
export class OperatorAccountsConsoleController {
  constructor(private readonly accounts: OperatorAccountsService) {}

  @Get('creator-applications')
  @Roles('operator', 'auditor')
  @ApiOperation({
    summary: 'Pending creator applications, oldest first',
    description: 'Keyset pages: pass `nextCursor` back as `cursor`.',
  })
  @ApiOkResponse({ type: CreatorApplicationsPageView })
  creatorApplications(@Query() query: CreatorApplicationsQuery) {
    return this.accounts.creatorApplications(query);
  }

  @Post('creator-applications/:accountId/approve')
  @HttpCode(200)
  @Roles('operator')
  @SessionOnly()
  @ApiOperation({
    summary: 'Approve a creator application',
    description:
      'The account gets the `creator` role. 409 `no-pending-application` unless an application is ' +
      'pending. The reason goes to the operator action trail.',
  })
  @ApiOkResponse({ type: AccountActionView })
  @ApiProblems({ 404: ['not-found'], 409: ['no-pending-application'] })
  approve(
    @CurrentPrincipal() principal: Principal,
    @Param() params: ApplicantParam,
    @Body() body: ReasonDto,
  ) {
    return this.accounts.decideCreatorApplication(principal, params.accountId, true, body.reason);
  }

  @Post('creator-applications/:accountId/reject')
  @HttpCode(200)
  @Roles('operator')
  @SessionOnly()
  @ApiOperation({
    summary: 'Reject a creator application',
    description:
      'The applicant sees `creatorStatus: rejected` and the reason on GET /me, and may apply again. ' +
      '409 `no-pending-application` unless an application is pending. The reason also goes to the ' +
      'operator action trail, so write it for the applicant to read.',
  })
  @ApiOkResponse({ type: AccountActionView })
  @ApiProblems({ 404: ['not-found'], 409: ['no-pending-application'] })
  reject(@CurrentPrincipal() principal: Principal, @Param() params: ApplicantParam, @Body() body: ReasonDto) {
    return this.accounts.decideCreatorApplication(principal, params.accountId, false, body.reason);
  }

  @Get('accounts')
  @Roles('operator')
  @ApiOperation({
    summary: 'Find accounts by email or handle',
    description:
      '`q` with an `@` matches an email exactly (any case), otherwise the start of a handle; at least ' +
      '2 characters. Handle order, keyset pages: pass `nextCursor` back as `cursor`. Auditors cannot ' +
      'search: emails are personal data, and an account page is reached from a trail entry or a token.',
  })
  @ApiOkResponse({ type: AccountSearchPageView })
  search(@Query() query: AccountSearchQuery) {
    return this.accounts.search(query);
  }

  @Get('accounts/:id')
  @Roles('operator', 'auditor')
  @ApiOperation({
    summary: 'An account page',
    description:
      'The account, whether it passed real-name verification (never the name or ID number), whether ' +
      'and why it is frozen, its 20 newest holdings with their count, and the 20 newest operator ' +
      'actions on it.',
  })
  @ApiOkResponse({ type: AccountPageView })
  @ApiProblems({ 404: ['not-found'] })
  account(@Param() params: AccountIdParam) {
    return this.accounts.accountPage(params.id);
  }

  @Post('accounts/:id/freeze')
  @HttpCode(200)
  @Roles('operator')
  @SessionOnly()
  @ApiOperation({
    summary: 'Freeze an account',
    description:
      'The account may still sign in, read, sign out and revoke its sessions and API keys; every other ' +
      'request answers 403 `account-frozen`. Everything it has on sale is taken off sale (unfreezing ' +
      'lists nothing again); its tokens stay its own (freeze tokens on their own). 409 `account-state` ' +
      'when it is frozen already, `cannot-freeze-self` for the operator’s own account.',
  })
  @ApiOkResponse({ type: AccountActionView })
  @ApiProblems({ 404: ['not-found'], 409: ['account-state', 'cannot-freeze-self'] })
  freeze(@CurrentPrincipal() principal: Principal, @Param() params: AccountIdParam, @Body() body: ReasonDto) {
    return this.accounts.setFrozen(principal, params.id, true, body.reason);
  }

  @Post('accounts/:id/unfreeze')
  @HttpCode(200)
  @Roles('operator')
  @SessionOnly()
  @ApiOperation({
    summary: 'Unfreeze an account',
    description: '409 `account-state` when it is not frozen.',
  })
  @ApiOkResponse({ type: AccountActionView })
  @ApiProblems({ 404: ['not-found'], 409: ['account-state'] })
  unfreeze(
    @CurrentPrincipal() principal: Principal,
    @Param() params: AccountIdParam,
    @Body() body: ReasonDto,
  ) {
    return this.accounts.setFrozen(principal, params.id, false, body.reason);
  }
}
