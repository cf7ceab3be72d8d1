import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payouts of earnings (libs/payouts writes `payouts` and `payout_runs`): a payout request is
 * idempotent per (account, key), and a scheduled run per run key. Their journal entries have no
 * order, and UNIQUE (order_id, kind) treats NULL order ids as distinct, so a partial unique index
 * makes an order-less entry (kind `payout:<id>`, …) postable at most once too.
 */
export class AddPayouts1764002600000 implements MigrationInterface {
  name = 'AddPayouts1764002600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE UNIQUE INDEX journal_entries_once_without_order ON journal_entries (kind) WHERE order_id IS NULL`);
    await db.query(`
      CREATE TABLE payout_runs (
        run_key text PRIMARY KEY,
        started_by uuid NOT NULL REFERENCES accounts(id),
        started_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE payouts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id),
        idempotency_key text NOT NULL,
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
        rail text NOT NULL,
        rail_ref text,
        failure_code text,
        run_key text REFERENCES payout_runs(run_key),
        requested_at timestamptz NOT NULL DEFAULT now(),
        settled_at timestamptz,
        CONSTRAINT payouts_once UNIQUE (account_id, idempotency_key)
      )`);
    await db.query(`CREATE INDEX payouts_account_idx ON payouts (account_id, requested_at, id)`);
    await db.query(`CREATE INDEX payouts_requested_idx ON payouts (requested_at, id)`);
    await db.query(`CREATE INDEX payouts_run_idx ON payouts (run_key) WHERE run_key IS NOT NULL`);
    await db.query(`CREATE INDEX payouts_pending_idx ON payouts (requested_at) WHERE status = 'pending'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE payouts, payout_runs`);
    await db.query(`DROP INDEX journal_entries_once_without_order`);
  }
}
