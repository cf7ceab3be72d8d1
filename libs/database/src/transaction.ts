import { DataSource, EntityManager, QueryFailedError } from 'typeorm';

const RETRYABLE_CODES = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** Runs `work` in one transaction, retrying serialization failures and deadlocks a few times. */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction(work);
    } catch (error) {
      if (attempt >= attempts || !RETRYABLE_CODES.has(pgErrorCode(error) ?? '')) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}

/** The PostgreSQL SQLSTATE of a failed query, if any. */
export function pgErrorCode(error: unknown): string | undefined {
  if (error instanceof QueryFailedError) return (error.driverError as { code?: string }).code;
  return (error as { code?: string } | null)?.code;
}

/** True when the error is a unique violation, optionally of a named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (pgErrorCode(error) !== '23505') return false;
  if (constraint === undefined) return true;
  const driverError = error instanceof QueryFailedError ? error.driverError : error;
  return (driverError as { constraint?: string }).constraint === constraint;
}

/**
 * Rows of an `UPDATE/DELETE … RETURNING` query: TypeORM's PostgreSQL driver answers those with
 * `[rows, affectedCount]` instead of the rows alone.
 */
export async function updateReturning<T>(
  manager: Pick<EntityManager, 'query'>,
  sql: string,
  parameters: unknown[],
): Promise<T[]> {
  const result: unknown = await manager.query(sql, parameters);
  return (
    Array.isArray(result) && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : result
  ) as T[];
}
