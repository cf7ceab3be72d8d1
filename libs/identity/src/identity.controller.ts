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
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CreateApiKeyDto, RealNameDto, RoleDto, SignInDto, SignUpDto } from './identity.dto.js';
import { ROLES, type Role } from './identity.entities.js';
import { IdentityService } from './identity.service.js';
import { CurrentPrincipal, type Principal, Public, Roles } from './principal.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly identity: IdentityService) {}

  @Public()
  @Post('sign-up')
  signUp(@Body() body: SignUpDto, @Req() request: FastifyRequest) {
    return this.identity.signUp(body, request.ip);
  }

  @Public()
  @Post('sign-in')
  @HttpCode(200)
  signIn(@Body() body: SignInDto, @Req() request: FastifyRequest) {
    return this.identity.signIn(body.email, body.password, request.ip);
  }

  @ApiBearerAuth()
  @Post('sign-out')
  @HttpCode(204)
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
  me(@CurrentPrincipal() principal: Principal) {
    return this.identity.getAccount(principal.accountId);
  }

  @Get('sessions')
  sessions(@CurrentPrincipal() principal: Principal) {
    return this.identity.listSessions(principal.accountId);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  revokeSession(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.identity.revokeSession(principal.accountId, id);
  }

  @Post('api-keys')
  createApiKey(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto) {
    return this.identity.createApiKey(principal.accountId, body.name);
  }

  @Get('api-keys')
  apiKeys(@CurrentPrincipal() principal: Principal) {
    return this.identity.listApiKeys(principal.accountId);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  revokeApiKey(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.identity.revokeApiKey(principal.accountId, id);
  }

  @Post('creator-application')
  @HttpCode(200)
  applyAsCreator(@CurrentPrincipal() principal: Principal) {
    return this.identity.applyAsCreator(principal.accountId);
  }

  @Post('real-name')
  @HttpCode(200)
  realName(@CurrentPrincipal() principal: Principal, @Body() body: RealNameDto) {
    return this.identity.verifyRealName(principal.accountId, body.fullName, body.idNumber);
  }
}

const ROLE_ENUM = Object.fromEntries(ROLES.map((role) => [role, role]));

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator')
@Controller('operator/accounts')
export class OperatorAccountsController {
  constructor(private readonly identity: IdentityService) {}

  @Get(':id')
  account(@Param('id', ParseUUIDPipe) id: string) {
    return this.identity.getAccount(id);
  }

  @Post(':id/roles')
  @HttpCode(200)
  grantRole(@Param('id', ParseUUIDPipe) id: string, @Body() body: RoleDto) {
    return this.identity.setRole(id, body.role, true);
  }

  @Delete(':id/roles/:role')
  revokeRole(
    @Param('id', ParseUUIDPipe) id: string,
    @Param('role', new ParseEnumPipe(ROLE_ENUM)) role: Role,
  ) {
    return this.identity.setRole(id, role, false);
  }
}
