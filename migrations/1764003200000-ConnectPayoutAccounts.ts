import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stripe Connect payouts and their retries (libs/payouts writes both tables):
 * - `payout_accounts`: an account's connected account on the payout rail and its onboarding state,
 *   with the time that state is as of, so an older webhook event cannot undo a newer state.
 * - `payouts` gains its retry schedule: a payout left pending (rail error, timeout, a crash between
 *   booking and sending) is sent again, with the same idempotency key, once `next_attempt_at` passes.
 *   Pending payouts already there are due a minute after they were requested.
 */
export class ConnectPayoutAccounts1764003200000 implements MigrationInterface {
  name = 'ConnectPayoutAccounts1764003200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE payout_accounts (
        account_id uuid PRIMARY KEY REFERENCES accounts(id),
        rail text NOT NULL,
        connected_account_id text NOT NULL UNIQUE,
        payouts_enabled boolean NOT NULL DEFAULT false,
        details_submitted boolean NOT NULL DEFAULT false,
        state_as_of timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      ALTER TABLE payouts
        ADD COLUMN attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN last_error text,
        ADD COLUMN last_attempt_at timestamptz,
        ADD COLUMN next_attempt_at timestamptz`);
    await db.query(
      `UPDATE payouts SET next_attempt_at = requested_at + interval '1 minute' WHERE status = 'pending'`,
    );
    await db.query(`DROP INDEX payouts_pending_idx`);
    await db.query(`CREATE INDEX payouts_due_idx ON payouts (next_attempt_at) WHERE status = 'pending'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX payouts_due_idx`);
    await db.query(`CREATE INDEX payouts_pending_idx ON payouts (requested_at) WHERE status = 'pending'`);
    await db.query(
      `ALTER TABLE payouts DROP COLUMN attempts, DROP COLUMN last_error, DROP COLUMN last_attempt_at,
         DROP COLUMN next_attempt_at`,
    );
    await db.query(`DROP TABLE payout_accounts`);
  }
}
