import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseEnumPipe,
  ParseUUIDPipe,
  Post,
  Req,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '#http';
import {
  AccountView,
  ApiKeyView,
  CreateApiKeyDto,
  IssuedApiKeyView,
  RealNameDto,
  RealNameView,
  RoleDto,
  SessionView,
  SignInDto,
  SignInView,
  SignUpDto,
} from './identity.dto.js';
import { ROLES, type Role } from './identity.entities.js';
import { IdentityService } from './identity.service.js';
import { CurrentPrincipal, FrozenMayCall, type Principal, Public, Roles, SessionOnly } from './principal.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly identity: IdentityService) {}

  @Public()
  @Post('sign-up')
  @ApiOperation({
    summary: 'Create a collector account',
    description:
      'Answers 409 `email-taken` when an account already has this email, and 409 `handle-taken` for a ' +
      'taken handle. Saying that an email is taken is deliberate: sign-up must tell a person that ' +
      'their address already has an account, and the per-address and per-email rate limits ' +
      '(429 `rate-limited`) bound how fast anyone can probe addresses this way. Sign-in, by ' +
      'contrast, answers an unknown email exactly like a wrong password, in the same time.',
  })
  @ApiCreatedResponse({ type: AccountView, description: 'The new account; sign in to open a session' })
  @ApiProblems({ 409: ['email-taken', 'handle-taken'], 429: ['rate-limited'] })
  signUp(@Body() body: SignUpDto, @Req() request: FastifyRequest) {
    return this.identity.signUp(body, request.ip);
  }

  @Public()
  @Post('sign-in')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Open a session (bearer token `hls_…`)',
    description:
      'An unknown email and a wrong password both answer 401 `invalid-credentials`, in the same time. ' +
      'Attempts are limited per address and per email (429 `rate-limited`, with Retry-After).',
  })
  @ApiOkResponse({ type: SignInView })
  @ApiProblems({ 401: ['invalid-credentials'], 429: ['rate-limited'] })
  signIn(@Body() body: SignInDto, @Req() request: FastifyRequest) {
    return this.identity.signIn(body.email, body.password, request.ip);
  }

  @ApiBearerAuth()
  @FrozenMayCall()
  @Post('sign-out')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke the calling session (no-op for an API key)' })
  @ApiNoContentResponse({ description: 'Signed out; the token no longer works' })
  async signOut(@CurrentPrincipal() principal: Principal) {
    if (principal.via === 'session')
      await this.identity.revokeSession(principal.accountId, principal.credentialId);
  }
}

@ApiTags('me')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  constructor(private readonly identity: IdentityService) {}

  @Get()
  @ApiOperation({ summary: 'Get the calling account' })
  @ApiOkResponse({ type: AccountView })
  me(@CurrentPrincipal() principal: Principal) {
    return this.identity.getAccount(principal.accountId);
  }

  @SessionOnly()
  @Get('sessions')
  @ApiOperation({ summary: "List the account's open sessions", description: 'Newest first.' })
  @ApiOkResponse({ type: [SessionView] })
  sessions(@CurrentPrincipal() principal: Principal) {
    return this.identity.listSessions(principal.accountId);
  }

  @SessionOnly()
  // A frozen account may still shut out a session or key it no longer trusts.
  @FrozenMayCall()
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of the account's sessions" })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems({ 404: ['not-found'] })
  revokeSession(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.identity.revokeSession(principal.accountId, id);
  }

  @SessionOnly()
  @Post('api-keys')
  @ApiOperation({
    summary: 'Issue an API key (`hlk_…`, shown once)',
    description: 'Only with a session, so that a key can never make another key that outlives it.',
  })
  @ApiCreatedResponse({ type: IssuedApiKeyView })
  createApiKey(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto) {
    return this.identity.createApiKey(principal.accountId, body.name);
  }

  @SessionOnly()
  @Get('api-keys')
  @ApiOperation({ summary: "List the account's API keys (never their secrets)" })
  @ApiOkResponse({ type: [ApiKeyView] })
  apiKeys(@CurrentPrincipal() principal: Principal) {
    return this.identity.listApiKeys(principal.accountId);
  }

  @SessionOnly()
  @FrozenMayCall()
  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiNoContentResponse({ description: 'Revoked; the key no longer works' })
  @ApiProblems({ 404: ['not-found'] })
  revokeApiKey(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.identity.revokeApiKey(principal.accountId, id);
  }

  @SessionOnly()
  @Post('creator-application')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Apply to become a creator',
    description:
      'Sets creatorStatus to `pending` for an operator to decide; after a rejection (its reason is in ' +
      '`creatorRejectionReason`) you may apply again. Applying while pending, or as an approved ' +
      'creator, changes nothing.',
  })
  @ApiOkResponse({ type: AccountView })
  applyAsCreator(@CurrentPrincipal() principal: Principal) {
    return this.identity.applyAsCreator(principal.accountId);
  }

  @SessionOnly()
  @Post('real-name')
  @HttpCode(200)
  @ApiOperation({
    summary: "Verify the account holder's legal name and resident ID number",
    description:
      'One ID number verifies one account: 409 `id-number-in-use` when it ' +
      'is verified on another. 422 `real-name-rejected` when the provider refuses it. Only a keyed ' +
      'digest of the number is kept.',
  })
  @ApiOkResponse({ type: RealNameView })
  @ApiProblems({ 409: ['id-number-in-use'], 422: ['real-name-rejected'] })
  realName(@CurrentPrincipal() principal: Principal, @Body() body: RealNameDto) {
    return this.identity.verifyRealName(principal.accountId, body.fullName, body.idNumber);
  }
}

const ROLE_ENUM = Object.fromEntries(ROLES.map((role) => [role, role]));

/** Roles (GET /operator/accounts/:id is custody's account page, with holdings and trail). */
@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator')
@Controller('operator/accounts')
export class OperatorAccountsController {
  constructor(private readonly identity: IdentityService) {}

  @SessionOnly()
  @Post(':id/roles')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Grant a role; granting `creator` approves a creator (operator)',
    description: 'Granting a role the account holds already changes nothing.',
  })
  @ApiOkResponse({ type: AccountView, description: 'The account with its roles now' })
  @ApiProblems({ 404: ['not-found'] })
  grantRole(@Param('id', ParseUUIDPipe) id: string, @Body() body: RoleDto) {
    return this.identity.setRole(id, body.role, true);
  }

  @SessionOnly()
  @Delete(':id/roles/:role')
  @ApiOperation({
    summary: 'Remove a role (operator)',
    description:
      'Removing `creator` sets creatorStatus back to `none`; removing a role not held changes nothing.',
  })
  @ApiOkResponse({ type: AccountView, description: 'The account with its roles now' })
  @ApiProblems({ 404: ['not-found'] })
  revokeRole(
    @Param('id', ParseUUIDPipe) id: string,
    @Param('role', new ParseEnumPipe(ROLE_ENUM)) role: Role,
  ) {
    return this.identity.setRole(id, role, false);
  }
}
