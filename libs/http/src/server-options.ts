import type { FastifyServerOptions } from 'fastify';
import { problemClientErrorHandler } from './client-error.js';
import { frameworkErrorProblem, requestIdFor } from './request-guards.js';

/**
 * Fastify server options for the HTTP surface: request ids the client cannot abuse, and
 * problem+json for the errors Node and Fastify answer before the app's error handler runs.
 */
export function problemServerOptions(): Pick<
  FastifyServerOptions,
  'requestIdHeader' | 'genReqId' | 'clientErrorHandler' | 'frameworkErrors'
> {
  return {
    // The header is read, and checked, by genReqId.
    requestIdHeader: false,
    genReqId: requestIdFor,
    clientErrorHandler: problemClientErrorHandler,
    frameworkErrors: frameworkErrorProblem,
  };
}
