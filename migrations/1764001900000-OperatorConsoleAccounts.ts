import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The operator console for accounts (libs/custody, accounts written by libs/identity):
 *
 * - `creator_status` may be `rejected`; the rejection's reason is kept for the applicant to read
 *   (`creator_rejection_reason`, set exactly while rejected) and `creator_applied_at` orders the
 *   queue of pending applications. Applications pending before this migration were made no
 *   earlier than their account: they are dated by `created_at`.
 * - `frozen_at` / `frozen_reason`: a frozen account may sign in and read, but not write.
 * - Indexes: the pending queue oldest first, and handle-prefix search (text_pattern_ops, so a
 *   `LIKE 'ab%'` uses it whatever the database collation).
 */
export class OperatorConsoleAccounts1764001900000 implements MigrationInterface {
  name = 'OperatorConsoleAccounts1764001900000';

  async up(db: QueryRunner): Promise<void> {
    // CreateIdentity declared the check inline, so PostgreSQL named it; look it up rather than guess.
    await db.query(`
      DO $$
      DECLARE constraint_name text;
      BEGIN
        FOR constraint_name IN
          SELECT conname FROM pg_constraint
          WHERE conrelid = 'accounts'::regclass AND contype = 'c'
            AND pg_get_constraintdef(oid) LIKE '%creator_status%'
        LOOP
          EXECUTE format('ALTER TABLE accounts DROP CONSTRAINT %I', constraint_name);
        END LOOP;
      END $$`);
    await db.query(`
      ALTER TABLE accounts
        ADD COLUMN creator_applied_at timestamptz,
        ADD COLUMN creator_rejection_reason text,
        ADD COLUMN frozen_at timestamptz,
        ADD COLUMN frozen_reason text`);
    await db.query(`UPDATE accounts SET creator_applied_at = created_at WHERE creator_status = 'pending'`);
    await db.query(`
      ALTER TABLE accounts
        ADD CONSTRAINT accounts_creator_status_check
          CHECK (creator_status IN ('none', 'pending', 'approved', 'rejected')),
        ADD CONSTRAINT accounts_creator_applied_check
          CHECK (creator_status <> 'pending' OR creator_applied_at IS NOT NULL),
        ADD CONSTRAINT accounts_creator_rejection_check
          CHECK ((creator_status = 'rejected') = (creator_rejection_reason IS NOT NULL)),
        ADD CONSTRAINT accounts_frozen_check CHECK ((frozen_at IS NULL) = (frozen_reason IS NULL))`);
    await db.query(
      `CREATE INDEX accounts_creator_queue_idx ON accounts (creator_applied_at, id) WHERE creator_status = 'pending'`,
    );
    await db.query(`CREATE INDEX accounts_handle_prefix_idx ON accounts (handle text_pattern_ops)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX accounts_handle_prefix_idx, accounts_creator_queue_idx`);
    await db.query(`
      ALTER TABLE accounts
        DROP CONSTRAINT accounts_frozen_check,
        DROP CONSTRAINT accounts_creator_rejection_check,
        DROP CONSTRAINT accounts_creator_applied_check,
        DROP CONSTRAINT accounts_creator_status_check`);
    // A rejected applicant was, before this migration, simply not a creator.
    await db.query(`UPDATE accounts SET creator_status = 'none' WHERE creator_status = 'rejected'`);
    await db.query(`
      ALTER TABLE accounts
        DROP COLUMN frozen_reason,
        DROP COLUMN frozen_at,
        DROP COLUMN creator_rejection_reason,
        DROP COLUMN creator_applied_at,
        ADD CONSTRAINT accounts_creator_status_check
          CHECK (creator_status IN ('none', 'pending', 'approved'))`);
  }
}
