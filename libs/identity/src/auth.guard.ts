import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError, problems } from '#http';
import { IdentityService } from './identity.service.js';
import { Principal, routeAccess } from './principal.js';

/** Methods that only read: a frozen account may still call them. */
const READS = new Set(['GET', 'HEAD']);

/**
 * Global guard: every route needs a valid bearer credential unless marked @Public(),
 * the caller must hold one of the roles named by @Roles(), if any, a @SessionOnly()
 * route refuses API keys, and a frozen account may only read (and sign out). Freezing is checked
 * here, once, from the principal the credential lookup already resolved: no route can forget it
 * and it costs no query.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly identity: IdentityService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const access = routeAccess(this.reflector, context.getHandler(), context.getClass());
    const token = bearerToken(request.headers.authorization);
    if (token) {
      const principal = await this.identity.authenticate(token);
      if (!principal && !access.public)
        throw problems.unauthorized('The session or API key is invalid, expired or revoked');
      request.principal = principal ?? undefined;
    }
    if (access.public) return true;
    const principal = request.principal;
    if (!principal) throw problems.unauthorized();
    if (access.roles && !access.roles.some((role) => principal.roles.includes(role))) {
      throw problems.forbidden(`This needs one of the roles: ${access.roles.join(', ')}`);
    }
    if (access.sessionOnly && principal.via !== 'session') throw sessionRequired();
    if (principal.frozen && !READS.has(request.method) && !access.frozenMayCall) throw accountFrozen();
    return true;
  }
}

function sessionRequired(): DomainError {
  return new DomainError(
    'session-required',
    403,
    'Forbidden',
    'API keys act for integrations only: sign in to manage credentials, roles or your account',
  );
}

function accountFrozen(): DomainError {
  return new DomainError(
    'account-frozen',
    403,
    'Forbidden',
    'This account is frozen by the platform: you can still sign in and see your account and holdings, ' +
      'but not buy, sell, give or change anything. Contact support to appeal.',
  );
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}
