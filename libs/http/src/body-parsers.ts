import type { Readable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest, RawServerDefault } from 'fastify';
import { jsonScanProblem, MAX_JSON_DEPTH, scanJson } from './json-body.js';
import { DomainError, problems } from './problem.js';

/** Media types whose bytes stream untouched to a binary route (the content lib sniffs and limits them). */
export const BINARY_MEDIA = /^(image|video|audio|model)\/|^application\/octet-stream/;

export interface BodyParserOptions {
  /** Routes that take raw media bytes, as `METHOD /route/pattern`; every other route takes JSON. */
  binaryRoutes: readonly string[];
  /** Largest JSON body, and how much of a refused body is read and discarded before answering. */
  bodyLimit: number;
  maxJsonDepth?: number;
}

/**
 * The only bodies the API reads: JSON on JSON routes, raw media bytes on binary routes. Anything
 * else — a binary type on a JSON route, multipart, form data, text, no type — is a 415 problem
 * that never hands its stream to the validation pipe. Call before `app.init()`, with the Nest
 * option `bodyParser: false` (JSON is parsed here) and `rawBody: true` kept for webhook signatures.
 */
export function registerBodyParsers(app: NestFastifyApplication, options: BodyParserOptions): void {
  const fastify = app.getHttpAdapter().getInstance();
  const isBinaryRoute = (request: FastifyRequest) =>
    options.binaryRoutes.includes(`${request.method} ${request.routeOptions.url ?? ''}`);
  const maxDepth = options.maxJsonDepth ?? MAX_JSON_DEPTH;
  const parseJson = fastify.getDefaultJsonParser('error', 'error');

  app.useBodyParser<RawServerDefault>(
    'application/json',
    { bodyLimit: options.bodyLimit },
    (request, body, done) => {
      if (isBinaryRoute(request)) return done(unsupported(request, true), undefined);
      const failure = scanJson(body, maxDepth);
      if (failure) return done(jsonScanProblem(failure, maxDepth), undefined);
      // Fastify's own parser (secure-json-parse): refuses __proto__ and constructor.prototype keys.
      void parseJson(request, body as unknown as string, (error, parsed) =>
        error ? done(invalidJson(body.length === 0), undefined) : done(null, parsed),
      );
    },
  );

  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser(BINARY_MEDIA, (request, payload, done) => {
    if (isBinaryRoute(request)) return done(null, payload);
    refuse(request, payload, options.bodyLimit, done, false);
  });
  fastify.addContentTypeParser('*', (request, payload, done) =>
    refuse(request, payload, options.bodyLimit, done, isBinaryRoute(request)),
  );
}

type Done = (error: Error | null, body?: unknown) => void;

/** An unknown route keeps its 404; anything else is a 415 once the body has been discarded. */
function refuse(request: FastifyRequest, payload: Readable, limit: number, done: Done, binaryRoute: boolean) {
  if (request.is404) return done(null, undefined);
  const problem = unsupported(request, binaryRoute);
  discardBody(payload, limit, () => done(problem, undefined));
}

/**
 * Reads and drops up to `limit` bytes of a refused body before answering, so that the client gets
 * the 415 instead of a connection reset; a longer body is answered at once (Fastify then closes
 * the connection).
 */
function discardBody(payload: Readable, limit: number, then: () => void): void {
  let received = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    payload.off('data', onData).off('end', finish).off('error', finish).off('close', finish);
    then();
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) finish();
  };
  payload.on('data', onData).on('end', finish).on('error', finish).on('close', finish);
  if (payload.readableEnded || payload.destroyed) finish();
}

function unsupported(request: FastifyRequest, binaryRoute: boolean): DomainError {
  if (!binaryRoute) {
    return problems.unsupportedMediaType('This endpoint accepts only application/json request bodies');
  }
  const multipart = /^multipart\//i.test(request.headers['content-type'] ?? '');
  return problems.unsupportedMediaType(
    multipart
      ? 'Send the raw bytes with their Content-Type (image/png, video/mp4, audio/ogg, model/gltf-binary, …), not multipart form data'
      : 'Send the raw media bytes with their Content-Type (image/*, video/*, audio/*, model/* or application/octet-stream)',
  );
}

// `bad-request` is the code malformed JSON has always answered; clients may switch on it.
const invalidJson = (empty: boolean) =>
  problems.badRequest(
    'bad-request',
    empty
      ? 'The body is empty but its Content-Type is application/json'
      : 'The request body is not valid JSON',
  );
