// One fuzzed request: which operation, as whom, with what path, query, headers and body. Kept as a
// small description so fast-check shrinks it and prints it readably; sent with fetch.
import fc from 'fast-check';
import { materialize, payload, type BodySpec } from './bodies.js';
import type { Operation } from './openapi.js';
import { headerSafe, hostileString, pathSegment, queryString } from './values.js';
import { ROLE_NAMES, type RoleName, type World } from './world.js';

export interface FuzzRequest {
  method: string;
  /** The operation's path template. */
  operation: string;
  /** Path and query string, already encoded. */
  url: string;
  role: RoleName | 'forged';
  headers: Record<string, string>;
  body: BodySpec;
}

export interface FuzzResponse {
  status: number;
  contentType: string;
  text: string;
}

/** Credentials that are not quite credentials. */
function forgedAuthorization(world: World): fc.Arbitrary<string> {
  const real = Object.values(world.principals).map((principal) => principal.credential);
  return fc.oneof(
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      'Bearer hls_',
      'Bearer hlk_',
      `Bearer hls_${'a'.repeat(64)}`,
    ),
    fc.constantFrom(...real).map((token) => `bearer ${token}`),
    fc.constantFrom(...real).map((token) => `Bearer ${token}x`),
    fc.constantFrom(...real).map((token) => `Bearer  ${token.slice(0, -1)}`),
    hostileString().map((value) => headerSafe(`Bearer ${value}`)),
  );
}

/** Extra headers: request ids of every shape, content encodings the body does not have, odd accepts. */
function extraHeaders(): fc.Arbitrary<Record<string, string>> {
  const odd = fc.record(
    {
      'x-request-id': fc.oneof(
        fc.constantFrom('fuzz-1', '<script>alert(1)</script>', 'x'.repeat(8192), 'x'.repeat(20_000), ''),
        hostileString().map(headerSafe),
      ),
      'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus'),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', 'image/png', 'garbage'),
      'stripe-signature': fc.constantFrom('t=1,v1=00', 'garbage', `t=${'9'.repeat(40)},v1=`),
    },
    { requiredKeys: [] },
  );
  // Mostly none: odd headers are rejected early, and the rest of the request should get further.
  return fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: odd });
}

/** Requests to one operation, as every role and as forged credentials. */
export function fuzzRequest(world: World, operation: Operation): fc.Arbitrary<FuzzRequest> {
  const consumes = operation.consumes;
  const segments = Object.fromEntries(
    operation.pathParams.map((name) => [name, pathSegment(world, operation.template, name)]),
  );
  return fc
    .record({
      path: fc.record(segments),
      query: queryString(world, operation.queryParams),
      role: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom<RoleName | 'forged'>(...ROLE_NAMES) },
        { weight: 1, arbitrary: fc.constant<RoleName | 'forged'>('forged') },
      ),
      forged: forgedAuthorization(world),
      payload: payload(world, operation.body, consumes),
      extra: extraHeaders(),
    })
    .map(({ path, query, role, forged, payload: { contentType, body }, extra }) => {
      const headers: Record<string, string> = { ...extra };
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (role === 'forged') headers.authorization = forged;
      else if (role !== 'anonymous') headers.authorization = `Bearer ${world.principals[role].credential}`;
      const url = operation.template.replace(/\{([^}]+)\}/g, (_, name: string) => path[name]) + query;
      const request: FuzzRequest = {
        method: operation.method,
        operation: operation.template,
        url,
        role,
        headers,
        body,
      };
      // fast-check prints a counterexample with this: short, whatever the body's size.
      Object.defineProperty(request, fc.toStringMethod, { value: () => `\n${describe(request)}\n` });
      return request;
    });
}

/** Sends the request; a network failure (the process died, or the connection was cut) throws. */
/** The API's default MAX_JSON_BODY_BYTES. */
const DEFAULT_BODY_LIMIT = 1024 * 1024;

function closedWhileSending(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return ['EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET'].includes(cause?.code ?? '');
}

export async function send(baseUrl: string, request: FuzzRequest, timeoutMs = 15_000): Promise<FuzzResponse> {
  const payload = materialize(request.body);
  // As bytes: fetch would add `text/plain` to a string body sent without a content type.
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  let response: Response;
  try {
    response = await fetch(baseUrl + request.url, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : bytes,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    // The server answers an oversized body 413 at once and closes the connection (HTTP allows it):
    // a client still sending may see the close (EPIPE, reset) before it can read the answer.
    if (bytes && bytes.byteLength > DEFAULT_BODY_LIMIT && closedWhileSending(error)) {
      return { status: 413, contentType: '(connection closed while sending)', text: '' };
    }
    throw error;
  }
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
}

/** A readable account of a request for failure messages: method, path, headers, a body excerpt. */
export function describe(request: FuzzRequest): string {
  const payload = materialize(request.body);
  const size = payload === undefined ? 0 : typeof payload === 'string' ? payload.length : payload.byteLength;
  const excerpt =
    payload === undefined
      ? '(none)'
      : typeof payload === 'string'
        ? JSON.stringify(payload.slice(0, 300))
        : `<${size} bytes> ${Buffer.from(payload.slice(0, 32)).toString('hex')}`;
  const headers = Object.entries(request.headers)
    .map(
      ([name, value]) =>
        `  ${name}: ${value.length > 120 ? `${value.slice(0, 120)}… (${value.length} chars)` : value}`,
    )
    .join('\n');
  const url =
    request.url.length > 400 ? `${request.url.slice(0, 400)}… (${request.url.length} chars)` : request.url;
  return [
    `${request.method} ${url}   as ${request.role}`,
    headers,
    `  body (${request.body.kind}, ${size} ${typeof payload === 'string' ? 'chars' : 'bytes'}): ${excerpt}`,
  ].join('\n');
}
