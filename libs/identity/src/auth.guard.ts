import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { problems } from '#http';
import type { Role } from './identity.entities.js';
import { IdentityService } from './identity.service.js';
import { Principal, PUBLIC_ROUTE, REQUIRED_ROLES } from './principal.js';

/**
 * Global guard: every route needs a valid bearer credential unless marked @Public(),
 * and the caller must hold one of the roles named by @Roles(), if any.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly identity: IdentityService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) ?? false;
    const token = bearerToken(request.headers.authorization);
    if (token) {
      const principal = await this.identity.authenticate(token);
      if (!principal && !isPublic)
        throw problems.unauthorized('The session or API key is invalid, expired or revoked');
      request.principal = principal ?? undefined;
    }
    if (isPublic) return true;
    if (!request.principal) throw problems.unauthorized();
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !roles.some((role) => request.principal!.roles.includes(role))) {
      throw problems.forbidden(`This needs one of the roles: ${roles.join(', ')}`);
    }
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}
