/**
 * The embedded PostgreSQL cannot start, for a reason the person running Heirloom can fix; the
 * message says how. Start-up prints only the message, without a stack trace.
 */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}
