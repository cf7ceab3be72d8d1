export { dataSourceOptions, migrate, type DatabaseSchema } from './data-source.js';
export { ensureDatabase, withDatabase } from './database-url.js';
export {
  startEmbeddedPostgres,
  type EmbeddedPostgresOptions,
  type RunningPostgres,
} from './embedded-postgres.js';
export { EmbeddedPostgresError } from './embedded-postgres.exception.js';
export { isDatabaseUnavailable } from './unavailable.js';
export { preparedQuery } from './prepared-query.js';
export {
  inLockedTransaction,
  inTransaction,
  inTransactionFrom,
  isUniqueViolation,
  pgErrorCode,
  updateReturning,
} from './transaction.js';
export { backoffWithJitterMs, escalatesAt, type BackoffPolicy } from './backoff.js';
export { PeriodicJobs } from './periodic-jobs.js';
export { DatabaseModule, type ReadReplicaOptions } from './database.module.js';
export { ReadRouter, lsnValue } from './read-router.js';
export { freePort } from './free-port.js';
export { Batcher, NEXT_BATCH, type BatcherOptions } from './batcher.js';
