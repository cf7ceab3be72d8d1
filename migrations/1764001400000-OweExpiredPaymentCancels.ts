import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A payment whose reservation expired must be canceled at the processor, or a late 3-D Secure
 * approval captures it. The cancel is owed durably, in the same transaction as the expiry, and
 * retried with backoff by whichever process runs the job, until the processor confirms it
 * (`canceled`) or says the payment settled (`not_cancelable`: settlement refunds it).
 */
export class OweExpiredPaymentCancels1764001400000 implements MigrationInterface {
  name = 'OweExpiredPaymentCancels1764001400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE payment_cancels (
        payment_id text PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders(id),
        status text NOT NULL DEFAULT 'owed'
          CHECK (status IN ('owed', 'canceled', 'not_cancelable', 'not_found')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz
      )`);
    await db.query(
      `CREATE INDEX payment_cancels_due_idx ON payment_cancels (next_attempt_at) WHERE status = 'owed'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE payment_cancels`);
  }
}
