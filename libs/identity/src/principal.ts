import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { problems } from '#http';
import type { Role } from './identity.entities.js';

/** Who is calling: resolved by the auth guard from a session token or an API key. */
export interface Principal {
  accountId: string;
  roles: Role[];
  via: 'session' | 'api-key';
  credentialId: string;
}

export const PUBLIC_ROUTE = 'heirloom:public';
export const REQUIRED_ROLES = 'heirloom:roles';

/** Marks a route as reachable without credentials. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Requires the caller to hold at least one of the roles. */
export const Roles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>().principal;
  if (!principal) throw problems.unauthorized();
  return principal;
});

/** The caller of a public route when it sent valid credentials, else undefined. */
export const OptionalPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal | undefined =>
    ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>().principal,
);

/** Ownership guard for services: the owner, or an operator acting for the platform. */
export function assertOwnerOrOperator(principal: Principal, ownerAccountId: string): void {
  if (principal.accountId !== ownerAccountId && !principal.roles.includes('operator')) {
    throw problems.forbidden('Only the owner may do this');
  }
}

/** True when the principal holds any of the roles. */
export function hasRole(principal: Principal | undefined, ...roles: Role[]): boolean {
  return principal !== undefined && roles.some((role) => principal.roles.includes(role));
}
