import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds we owe are retried with backoff until the processor takes them, never given up:
 * `next_attempt_at` schedules the next try (the job sends only due ones).
 */
export class RetryRefundsWithBackoff1764001300000 implements MigrationInterface {
  name = 'RetryRefundsWithBackoff1764001300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE refund_requests
        ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN last_attempt_at timestamptz`);
    await db.query(
      `CREATE INDEX refund_requests_due_idx ON refund_requests (next_attempt_at) WHERE status = 'pending'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX refund_requests_due_idx`);
    await db.query(`ALTER TABLE refund_requests DROP COLUMN next_attempt_at, DROP COLUMN last_attempt_at`);
  }
}
