import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { PROBLEM_BASE, type ProblemDetails } from './problem.js';
import { STANDARD_HEADERS } from './request-guards.js';

/** How long a refused connection may keep sending before it is cut. */
const LINGER_MS = 2_000;

/** Node's parser errors answered with a status other than 400. */
const STATUS_BY_ERROR: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers-too-large',
    detail: 'The request line and headers together exceed the size the server accepts',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request-timeout',
    detail: 'The request was not received in time',
  },
};

const MALFORMED = { status: 400, code: 'bad-request', detail: 'The request is not valid HTTP/1.1' };

const answered = new WeakSet<Socket>();

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses before Fastify sees them
 * (headers too large, a malformed request line or header, a timeout) answer problem+json too.
 * The rest of the request is read and dropped for a moment, so the client sees the answer
 * rather than a reset.
 */
export function problemClientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  const { status, code, detail } = STATUS_BY_ERROR[error.code ?? ''] ?? MALFORMED;
  const requestId = randomUUID();
  const problem: ProblemDetails = {
    type: PROBLEM_BASE + code,
    title: STATUS_CODES[status] ?? 'Client error',
    status,
    detail,
    requestId,
  };
  const body = JSON.stringify(problem);
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'content-type: application/problem+json',
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    ...Object.entries(STANDARD_HEADERS).map(([name, value]) => `${name}: ${value}`),
    'connection: close',
  ];
  if (!socket.writable) return void socket.destroy();
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
