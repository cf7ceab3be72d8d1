import { isDatabaseUnavailable } from '#database';
import { DomainError } from '#http';

/** The 503 a request gets while the database does not answer; the client may retry it. */
export function databaseUnavailable(): DomainError {
  return new DomainError(
    'database-unavailable',
    503,
    'Service unavailable',
    'The database does not answer; try again in a moment',
  );
}

/**
 * For the app's ProblemFilter: a lost or refused database connection (a failover, a restart) is a
 * 503 `database-unavailable` the client may retry, not a 500. Other errors pass unchanged.
 */
export function databaseUnavailableAsProblem(error: unknown): unknown {
  return isDatabaseUnavailable(error) ? databaseUnavailable() : error;
}
