import { STATUS_CODES } from 'node:http';
import { RequestMethod, type INestApplication, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { problemResponse } from '#http';
import { routeAccess, type RouteAccess } from '#identity';

type Operation = {
  description?: string;
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  responses: Record<string, { description?: string }>;
  [extension: `x-${string}`]: unknown;
};

/**
 * Completes the generated OpenAPI document from what the app enforces, so the two cannot drift:
 * each operation states who may call it (read from the same metadata the auth guard reads) and
 * the problem answers every route shares (validation, authentication, roles, content type).
 */
export function completeApiDocument(document: OpenAPIObject, app: INestApplication): OpenAPIObject {
  const reflector = app.get(Reflector);
  for (const route of routes(app)) {
    const operation = document.paths[route.path]?.[route.method as 'get'] as Operation | undefined;
    if (!operation) continue; // excluded from the document on purpose (@ApiExcludeEndpoint)
    const access = routeAccess(reflector, route.handler, route.controller);
    operation['x-roles'] = access.public ? ['anyone'] : (access.roles ?? ['any signed-in account']);
    operation.description = [operation.description, whoMayCall(access)].filter(Boolean).join('\n\n');
    operation.security = access.public ? [] : [{ bearer: [] }];
    const shared = sharedProblems(access, operation.requestBody !== undefined, route.method);
    for (const [status, codes] of shared) {
      addProblem(operation, status, codes);
    }
    for (const [status, response] of Object.entries(operation.responses)) {
      if (/^2/.test(status) && !response.description) response.description = STATUS_CODES[status];
    }
  }
  return document;
}

function whoMayCall(access: RouteAccess): string {
  if (access.public) return '**Who may call:** anyone; no credentials needed.';
  const who = access.roles ? `accounts with the role ${access.roles.join(' or ')}` : 'any signed-in account';
  const how = access.sessionOnly ? 'with a session (API keys are refused)' : 'with a session or an API key';
  return `**Who may call:** ${who}, ${how}.`;
}

function sharedProblems(access: RouteAccess, hasBody: boolean, method: string): [number, string[]][] {
  const shared: [number, string[]][] = [[400, ['validation-failed', 'bad-request', 'invalid-characters']]];
  if (!access.public) shared.push([401, ['unauthorized']]);
  const forbidden = [
    ...(access.roles || access.sessionOnly ? ['forbidden'] : []),
    ...(access.sessionOnly ? ['session-required'] : []),
    // The auth guard refuses every write of a frozen account but those marked @FrozenMayCall().
    ...(!access.public && !['get', 'head'].includes(method) && !access.frozenMayCall
      ? ['account-frozen']
      : []),
  ];
  if (forbidden.length) shared.push([403, forbidden]);
  if (hasBody) shared.push([413, ['payload-too-large']], [415, ['unsupported-media-type']]);
  // Any route, while the database does not answer (e.g. during a failover): retry it.
  shared.push([500, ['internal']], [503, ['database-unavailable']]);
  return shared;
}

/** Adds the codes to the operation's problem answer of that status, keeping any listed already. */
function addProblem(operation: Operation, status: number, codes: string[]): void {
  const existing = operation.responses[status];
  const listed = existing?.description?.match(/`[^`]+`/g)?.map((code) => code.slice(1, -1)) ?? [];
  const all = [...new Set([...listed, ...codes])];
  operation.responses[status] = { ...existing, ...problemResponse(status, all) };
}

interface Route {
  path: string;
  method: string;
  handler: (...args: unknown[]) => unknown;
  controller: Type;
}

/** Every route of every controller, with its OpenAPI path (`/drops/{id}`) and lower-case method. */
function* routes(app: INestApplication): Generator<Route> {
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name] as Route['handler'] | undefined;
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const path = [base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')]
          .flatMap((part) => part.split('/'))
          .filter(Boolean)
          // A trailing "*" (the rest of the path) is the `{path}` @nestjs/swagger documents for it.
          .map((segment) => segment.replace(/^:(\w+)$/, '{$1}').replace(/^\*$/, '{path}'))
          .join('/');
        yield { path: `/${path}`, method: RequestMethod[method].toLowerCase(), handler, controller };
      }
    }
  }
}
