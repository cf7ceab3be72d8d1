import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError, problems } from '#http';
import { IdentityService } from './identity.service.js';
import { Principal, routeAccess } from './principal.js';

/**
 * Global guard: every route needs a valid bearer credential unless marked @Public(),
 * the caller must hold one of the roles named by @Roles(), if any, and a @SessionOnly()
 * route refuses API keys.
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

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}
