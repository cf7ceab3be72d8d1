import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidCharacters } from './json-body.js';
import { DomainError, problems } from './problem.js';
import { sendProblem } from './problem.filter.js';

/** Longest request target (path and query) accepted; longer ones answer 414. */
export const MAX_URL_LENGTH = 8 * 1024;

/** A client's request id is kept only when it is short and made of harmless characters. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** NUL in the path or query, raw or percent-encoded: PostgreSQL cannot store it in text. */
const NUL_IN_URL = /%00|\0/i;

/** Headers every response carries. */
export const STANDARD_HEADERS = { 'x-content-type-options': 'nosniff' } as const;

/** The client's `x-request-id` when it is safe to log and echo, otherwise a fresh UUID. */
export function requestIdFor(request: Pick<IncomingMessage, 'headers'>): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Refuses a request target that is too long or carries NUL before routing and validation see it,
 * and stamps every response with its request id and the standard headers.
 */
export function registerRequestGuards(fastify: FastifyInstance, maxUrlLength = MAX_URL_LENGTH): void {
  fastify.addHook('onRequest', async (request) => {
    if (request.url.length > maxUrlLength) throw uriTooLong(maxUrlLength);
    if (NUL_IN_URL.test(request.url)) throw invalidCharacters();
  });
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id).headers(STANDARD_HEADERS);
    drainUnreadBody(request);
  });
}

/**
 * An answer given before the body was read whole (an upload refused from its first bytes): the
 * unread rest would otherwise sit in front of the next request on this keep-alive connection, which
 * then never gets an answer. Read and drop it, as Node does for a body nobody started to read.
 */
function drainUnreadBody(request: FastifyRequest): void {
  const body = request.raw;
  if (body.complete || body.destroyed) return;
  // read() rather than resume(): a half-used async iterator keeps the stream in paused mode.
  const drain = () => {
    while (body.read() !== null);
  };
  body.on('readable', drain);
  drain();
}

const uriTooLong = (maxUrlLength: number) =>
  new DomainError(
    'uri-too-long',
    414,
    'URI too long',
    `The path and query may be at most ${maxUrlLength} characters long`,
    { maxUrlLength },
  );

/**
 * Fastify's `frameworkErrors`: a path that does not decode or a path parameter over the router's
 * length limit, answered before any hook runs. The detail never echoes the offending path.
 */
export function frameworkErrorProblem(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const problem =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new DomainError('uri-too-long', 414, 'URI too long', 'A path segment is too long')
      : problems.badRequest('bad-url', 'The request path is not a valid URL (bad percent-encoding)');
  void reply.header('x-request-id', request.id).headers(STANDARD_HEADERS);
  sendProblem(reply, request, problem);
}
