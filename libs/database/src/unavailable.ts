import { QueryFailedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

// SQLSTATEs of a database that cannot serve right now, though it may in a moment: the connection
// was cut (class 08), the server is shutting down or crashed (57P01–57P03, e.g. a killed leader or
// pg_terminate_backend), it is a standby now (25006: a failover demoted it), or it is full (53300).
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '25006', '53300']);
// Socket failures reaching the server (or the proxy in front of it).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTCONN',
]);
// node-postgres reports a connection that ended mid-query, or a pool that could not connect in
// time, by message only.
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Connection is closed/,
];

/**
 * True when `error` says the database could not be reached or lost the connection, not that the
 * statement was wrong: the request may be retried once the database (or its new leader) answers.
 * The pool has already dropped the broken connection; the next request gets a fresh one.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // TypeORM's word for a transaction whose connection the pool already dropped (it died mid-way).
  if (error instanceof QueryRunnerProviderAlreadyReleasedError) return true;
  const cause = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (!(cause instanceof Error)) return false;
  const code = (cause as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (code.startsWith('08') || UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code))
  ) {
    return true;
  }
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(cause.message));
}
