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

interface SimpleQueryClient {
  query(text: string): Promise<{ rows: unknown[] } | { rows: unknown[] }[]>;
  escapeLiteral(text: string): string;
}

/**
 * `inTransaction` whose first statement is sent in the same round trip as its BEGIN, which saves a
 * statement on hot paths. That round trip uses PostgreSQL's simple protocol, which takes no
 * parameters: `first` builds the statement and must put every value through `quote`. `work` runs
 * on the transaction's manager with the first statement's rows.
 */
export async function inTransactionFrom<T, R = unknown>(
  dataSource: DataSource,
  first: (quote: (value: string) => string) => string,
  work: (manager: EntityManager, firstRows: R[]) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const queryRunner = dataSource.createQueryRunner();
    try {
      const client = (await queryRunner.connect()) as SimpleQueryClient;
      try {
        const results = await client.query(`BEGIN; ${first((value) => client.escapeLiteral(value))}`);
        const result = await work(
          queryRunner.manager,
          (Array.isArray(results) ? results[1].rows : []) as R[],
        );
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // Also when the first statement failed: BEGIN has run, so the connection is in a transaction.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } catch (error) {
      if (attempt >= attempts || !RETRYABLE_CODES.has(pgErrorCode(error) ?? '')) throw error;
    } finally {
      await queryRunner.release();
    }
    await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
  }
}

/** `inTransaction` that first takes `pg_advisory_xact_lock(hashtext(lockKey))`, in BEGIN's round trip. */
export function inLockedTransaction<T>(
  dataSource: DataSource,
  lockKey: string,
  work: (manager: EntityManager) => Promise<T>,
  attempts = 5,
): Promise<T> {
  return inTransactionFrom(
    dataSource,
    (quote) => `SELECT pg_advisory_xact_lock(hashtext(${quote(lockKey)}))`,
    (manager) => work(manager),
    attempts,
  );
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
