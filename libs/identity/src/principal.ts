import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { problems } from '#http';
import type { Role } from './identity.entities.js';

/** Who is calling: resolved by the auth guard from a session token or an API key. */
export interface Principal {
  accountId: string;
  roles: Role[];
  via: 'session' | 'api-key';
  credentialId: string;
  /** The account is frozen: it may read and sign out, nothing else (enforced by the auth guard). */
  frozen: boolean;
  /**
   * The primary's WAL position after this account's latest write request (pg_lsn), or null: reads
   * for it may use a replica only once the replica has replayed past it (see ReadRouter).
   */
  readFence: string | null;
}

export const PUBLIC_ROUTE = 'heirloom:public';
export const REQUIRED_ROLES = 'heirloom:roles';
export const SESSION_ONLY = 'heirloom:session-only';
export const FROZEN_MAY_CALL = 'heirloom:frozen-may-call';

/** Marks a route as reachable without credentials. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Requires the caller to hold at least one of the roles. */
export const Roles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);

/**
 * Reserves a route for a signed-in person (a session): an API key acts for an integration and may
 * not manage credentials, roles or the account owner's own acts; it gets 403 `session-required`.
 */
export const SessionOnly = () => SetMetadata(SESSION_ONLY, true);

/**
 * Lets a frozen account call a write route (signing out): every other write answers 403
 * `account-frozen` to a frozen account.
 */
export const FrozenMayCall = () => SetMetadata(FROZEN_MAY_CALL, true);

/** Who may call a route: what the auth guard enforces, for the guard and the API document alike. */
export interface RouteAccess {
  public: boolean;
  /** Roles of which the caller needs one; undefined: any signed-in account. */
  roles?: readonly Role[];
  /** API keys are refused: a person's session is needed. */
  sessionOnly: boolean;
  /** A frozen account may call it even though it writes (signing out). */
  frozenMayCall: boolean;
}

/** A route handler or a controller class: what Nest's metadata is read from. */
type MetadataTarget = Parameters<Reflector['getAllAndOverride']>[1][number];

/** The access rules of a route handler, from its and its controller's decorators. */
export function routeAccess(
  reflector: Reflector,
  handler: MetadataTarget,
  controller: MetadataTarget,
): RouteAccess {
  const targets = [handler, controller];
  return {
    public: reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) ?? false,
    roles: reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets),
    sessionOnly: reflector.getAllAndOverride<boolean>(SESSION_ONLY, targets) ?? false,
    frozenMayCall: reflector.getAllAndOverride<boolean>(FROZEN_MAY_CALL, targets) ?? false,
  };
}

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
